// This target only links Debian's liblua5.4 (see its linker settings in
// Package.swift). Programs that create their Lua state (the optlab
// executable, the tests, a Swift host using the OptLabLua product) link it;
// the Lua module (`require "optlab"`) does not, and uses its host's Lua.
