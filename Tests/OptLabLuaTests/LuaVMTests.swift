import Testing
import OptLabLua
import OptLabRuntime

@Suite struct LuaVMTests {
    @Test func evalReturnsSwiftValues() throws {
        let vm = try LuaVM()
        let r = try vm.eval("1 + 2, 'two', true, nil, {1, 2, {3}}, {a = 1}")
        guard r.count == 6, case .integer(3) = r[0], case .string("two") = r[1], case .bool(true) = r[2], case .nil = r[3],
              case .array(let items) = r[4], items.count == 3, case .record(let rec) = r[5], rec.first?.0 == "a" else {
            Issue.record("unexpected results \(r)")
            return
        }
    }

    @Test func tensorsPassBothWaysWithoutCopying() throws {
        let vm = try LuaVM()
        let t = try Tensor([1, 2, 3] as [Double])
        try vm.setGlobal("t", .tensor(t))
        try vm.run(code: "t[2] = 20")
        #expect(t.toDoubles() == [1, 20, 3], "Lua wrote into the same storage")
        guard case .tensor(let back) = try vm.global("t") else { Issue.record("no tensor"); return }
        #expect(back === t, "the same Swift object came back")
    }

    @Test func registeredSwiftFunctionsAreCallableAndTheirErrorsAreLuaErrors() throws {
        struct Refusal: Error, CustomStringConvertible { var description: String { "host refuses" } }
        let vm = try LuaVM()
        try vm.register("double") { args in [.number((args.first?.number ?? 0) * 2)] }
        try vm.register("refuse") { _ in throw Refusal() }
        #expect(try vm.eval("double(21)").first?.number == 42)
        let r = try vm.eval("select(2, pcall(refuse))")
        #expect(r.first?.string?.contains("host refuses") == true)
    }

    @Test func luaErrorsAreThrownWithTraceback() throws {
        let vm = try LuaVM()
        do {
            try vm.run(code: "local function f() error('deep') end\nf()", name: "=chunk")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.contains("chunk:1: deep"))
            #expect(e.message.contains("stack traceback"))
        }
        #expect(throws: LuaError.self) { try vm.run(code: "this is not lua") }
    }

    @Test func printCanBeCaptured() throws {
        let vm = try LuaVM()
        final class Box: @unchecked Sendable { var lines: [String] = [] }
        let box = Box()
        try vm.capturePrint { box.lines.append($0) }
        try vm.run(code: "print('a', 1, tensor.from{7}:item())")
        #expect(box.lines == ["a\t1\t7.0\n"])
    }

    @Test func callingAGlobalFunction() throws {
        let vm = try LuaVM()
        try vm.run(code: "function add(a, b) return a + b end")
        #expect(try vm.call("add", [.number(2), .number(3)]).first?.number == 5)
        #expect(throws: LuaError.self) { try vm.call("nope") }
    }

    @Test func helpExplainsBuiltins() throws {
        let vm = try LuaVM()
        final class Box: @unchecked Sendable { var text = "" }
        let box = Box()
        try vm.capturePrint { box.text += $0 }
        try vm.run(code: "help(tensor.randn)")
        #expect(box.text.hasPrefix("tensor.randn(shape [, dtype])"))
        box.text = ""
        try vm.run(code: "help(tensor.zeros(1))")
        #expect(box.text.contains("x:matmul(w)"))
        box.text = ""
        try vm.run(code: "help()")
        #expect(box.text.contains("tensor"))
    }

    @Test func closingTheVMReleasesItsTensors() throws {
        // The counter is process-wide and other tests run beside this one, so
        // a 200 MB tensor is used and compared with a margin.
        var during = 0
        do {
            let vm = try LuaVM()
            try vm.run(code: "big = tensor.zeros(50000, 1000)")
            during = LuaVM.liveTensorBytes
            #expect(during >= 200_000_000)
        }
        #expect(LuaVM.liveTensorBytes < during - 190_000_000)
    }
}
