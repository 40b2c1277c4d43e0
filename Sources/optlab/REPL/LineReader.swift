import CEditLine
import CEditShims
import Glibc

/// What reading one line gave.
enum ReadResult {
    case line(String)
    case interrupted   // Ctrl-C at the prompt: drop the line
    case end           // Ctrl-D on an empty line, or end of input
}

/// Line input behind a small interface, as lua.c keeps readline behind
/// lua_readline: libedit on a terminal, plain reads otherwise.
protocol LineReader {
    mutating func read(prompt: String) -> ReadResult
    mutating func remember(_ entry: String)
}

/// Plain standard input: no prompts, no escape codes.
struct PlainReader: LineReader {
    mutating func read(prompt: String) -> ReadResult {
        guard let line = readLine(strippingNewline: true) else { return .end }
        return .line(line)
    }

    mutating func remember(_ entry: String) {}
}

nonisolated(unsafe) var sigintAtPrompt: sig_atomic_t = 0

/// libedit with history kept in a file and Tab completion.
final class EditLineReader: LineReader {
    let editor: OpaquePointer
    let history: OpaquePointer
    let historyPath: String?

    /// Completion is asked of this function (the text before the cursor → candidates).
    nonisolated(unsafe) static var completer: ((_ word: String, _ line: String) -> [String])?

    init?(program: String, historyPath: String?, completer: @escaping (_ word: String, _ line: String) -> [String]) {
        guard let h = optlab_history_open(1000) else { return nil }
        if let historyPath { _ = optlab_history_load(h, historyPath) }
        EditLineReader.completer = completer
        guard let el = optlab_el_open(program, h, { el, _ in EditLineReader.complete(el) }) else { return nil }
        editor = el
        history = h
        self.historyPath = historyPath
    }

    deinit {
        el_end(editor)
        history_end(history)
    }

    func read(prompt: String) -> ReadResult {
        optlab_el_set_prompt(prompt)
        // Ctrl-C at the prompt interrupts the read (no SA_RESTART) and clears the line.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in sigintAtPrompt = 1 }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var old = sigaction()
        sigaction(SIGINT, &action, &old)
        defer { sigaction(SIGINT, &old, nil) }
        sigintAtPrompt = 0
        var count: Int32 = 0
        guard let p = el_gets(editor, &count), count > 0 else {
            if sigintAtPrompt != 0 {
                el_reset(editor)
                fputs("^C\n", stdout)
                return .interrupted
            }
            return .end
        }
        var line = String(cString: p)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// A whole entry (several lines of a multi-line input are one entry).
    func remember(_ entry: String) {
        guard !entry.allSatisfy({ $0 == " " || $0 == "\t" }) else { return }
        _ = optlab_history_enter(history, entry)
        if let historyPath { _ = optlab_history_save(history, historyPath) }  // saved at once: a crash loses nothing
    }

    /// Tab: completes the word before the cursor, or lists the candidates.
    static func complete(_ el: OpaquePointer?) -> UInt8 {
        guard let el, let info = el_line(el), let completer else { return UInt8(CC_ERROR) }
        let start = info.pointee.buffer!, cursor = info.pointee.cursor!
        let before = String(decoding: UnsafeRawBufferPointer(start: start, count: cursor - start), as: UTF8.self)
        let (word, candidates) = Completion.candidates(before, completer)
        guard !candidates.isEmpty else { return UInt8(CC_ERROR) }
        let common = Completion.commonPrefix(candidates)
        if common.count > word.count {
            _ = el_insertstr(el, String(common.dropFirst(word.count)))
            return UInt8(CC_REFRESH)
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        fputs("\n" + Completion.columns(candidates) + "\n", stdout)
        return UInt8(CC_REDISPLAY)
    }
}
