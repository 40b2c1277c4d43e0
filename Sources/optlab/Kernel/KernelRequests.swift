import Foundation
import Glibc
import OptLabLua
import OptLabRuntime

/// The kernel's answers to each request type.
extension JupyterKernel {
    /// A received message, or nil (logged) when it is malformed or its
    /// signature is wrong: such a message is never acted on.
    func parse(_ parts: [[UInt8]], channel: String) -> KernelMessage? {
        do {
            return try KernelMessage(wire: parts, signer: signer)
        } catch {
            output.log("dropped a message on \(channel): \(error)")
            return nil
        }
    }

    func reply(_ socket: ZMQSocket, to request: KernelMessage, _ type: String, _ content: [String: Any]) {
        var message = KernelMessage(header: messageHeader(type: type, session: session), parent: request.header, content: content)
        message.identities = request.identities
        do { try socket.send(message.wire(signer: signer)) } catch { output.log("cannot send \(type): \(error)") }
    }

    var kernelInfo: [String: Any] {
        ["status": "ok", "protocol_version": KernelMessage.protocolVersion, "implementation": "optlab",
         "implementation_version": optlabVersion,
         "language_info": ["name": "lua", "version": "5.4", "mimetype": "text/x-lua", "file_extension": ".lua",
                           "pygments_lexer": "lua", "codemirror_mode": "lua"] as [String: Any],
         "banner": "optlab \(optlabVersion) (\(luaRelease)): the optlab runtime for Lua. help() lists the modules.",
         "help_links": [[String: Any]](), "debugger": false]
    }

    // MARK: shell

    func serveShell(_ request: KernelMessage) {
        iopub.serving(request.header, quiet: request.type == "execute_request" && request.content["silent"] as? Bool == true)
        iopub.status("busy")
        defer { iopub.status("idle") }
        let c = request.content
        if refused(request, on: shell) { return }
        switch request.type {
        case "kernel_info_request":
            reply(shell, to: request, "kernel_info_reply", kernelInfo)
        case "execute_request":
            execute(request)
        case "complete_request":
            reply(shell, to: request, "complete_reply", complete(c["code"] as? String ?? "", cursor: c["cursor_pos"] as? Int))
        case "inspect_request":
            reply(shell, to: request, "inspect_reply", inspect(c["code"] as? String ?? "", cursor: c["cursor_pos"] as? Int))
        case "is_complete_request":
            let status = (try? vm.call(function: kernelSupport["is_complete"] ?? .nil, [.string(c["code"] as? String ?? "")]))?.first?.string ?? "unknown"
            var content: [String: Any] = ["status": status]
            if status == "incomplete" { content["indent"] = "  " }
            reply(shell, to: request, "is_complete_reply", content)
        case "history_request":
            reply(shell, to: request, "history_reply", historyReply(c))
        case "comm_info_request":
            reply(shell, to: request, "comm_info_reply", ["status": "ok", "comms": [String: Any]()])
        case "shutdown_request":
            shutdown(request, on: shell)
        default:
            output.log("no answer to \(request.type) on shell")
        }
    }

    /// Runs a cell: execute_input, its streams as they come, then its result
    /// (or error), the reply, and idle.
    func execute(_ request: KernelMessage) {
        let c = request.content
        let code = c["code"] as? String ?? ""
        let silent = c["silent"] as? Bool ?? false
        let store = (c["store_history"] as? Bool ?? true) && !silent
        if store { executionCount += 1 }
        let count = executionCount
        if store { history.append((count, code)) }
        if !silent { iopub.publish("execute_input", ["code": code, "execution_count": count]) }
        host.newCell()
        currentRequest = request
        defer { currentRequest = nil }
        let results = vm.watchingInterrupts {
            (try? vm.call(function: kernelSupport["execute"] ?? .nil, [.string(code), .string("=In[\(count)]")])) ?? [.string("error")]
        }
        output.drain()
        if results.first?.string == "ok" {
            if !silent, case .record(let forms)? = results.dropFirst().first {
                var data: [String: Any] = [:]
                for (k, v) in forms { if let s = v.string { data[k] = s } }
                iopub.publish("execute_result", ["execution_count": count, "data": data, "metadata": [String: Any]()])
            }
            reply(shell, to: request, "execute_reply", ["status": "ok", "execution_count": count,
                                                         "user_expressions": [String: Any](), "payload": [Any]()])
        } else {
            let name = results.count > 1 ? results[1].string ?? "LuaError" : "LuaError"
            let value = results.count > 2 ? results[2].string ?? "" : "the cell could not be run"
            var traceback: [String] = [value]
            if results.count > 3, case .array(let lines) = results[3] { traceback = lines.compactMap(\.string) }
            let error: [String: Any] = ["ename": name, "evalue": value, "traceback": traceback]
            if !silent { iopub.publish("error", error) }
            reply(shell, to: request, "execute_reply", error.merging(["status": "error", "execution_count": count]) { a, _ in a })
        }
    }

    /// Jupyter counts the cursor in characters (Unicode code points); Lua in bytes.
    private func byteOffset(_ code: String, _ cursor: Int?) -> Int {
        let scalars = Array(code.unicodeScalars)
        let n = Swift.min(Swift.max(cursor ?? scalars.count, 0), scalars.count)
        return scalars[..<n].reduce(0) { $0 + String($1).utf8.count }
    }

    private func characterOffset(_ code: String, bytes: Int) -> Int {
        String(decoding: Array(code.utf8).prefix(Swift.max(bytes, 0)), as: UTF8.self).unicodeScalars.count
    }

    func complete(_ code: String, cursor: Int?) -> [String: Any] {
        let at = byteOffset(code, cursor)
        let r = (try? vm.call(function: kernelSupport["complete"] ?? .nil, [.string(code), .integer(at)])) ?? []
        var matches: [String] = []
        if case .array(let items)? = r.first { matches = items.compactMap(\.string) }
        let start = r.count > 1 ? Swift.min(Swift.max(r[1].number.flatMap { Int(checked: $0) } ?? at, 0), at) : at
        return ["status": "ok", "matches": matches, "cursor_start": characterOffset(code, bytes: start),
                "cursor_end": characterOffset(code, bytes: at), "metadata": [String: Any]()]
    }

    func inspect(_ code: String, cursor: Int?) -> [String: Any] {
        let r = (try? vm.call(function: kernelSupport["inspect"] ?? .nil, [.string(code), .integer(byteOffset(code, cursor))])) ?? []
        guard let text = r.first?.string else { return ["status": "ok", "found": false, "data": [String: Any](), "metadata": [String: Any]()] }
        return ["status": "ok", "found": true, "data": ["text/plain": text], "metadata": [String: Any]()]
    }

    /// history_request: "tail" (the last n), "range" (start..<stop of this
    /// session), or "search" (a glob pattern); the session number is 0, as IPython's current one.
    func historyReply(_ c: [String: Any]) -> [String: Any] {
        let withOutput = c["output"] as? Bool ?? false
        var entries = history
        switch c["hist_access_type"] as? String ?? "tail" {
        case "range":
            let start = c["start"] as? Int ?? 1, stop = c["stop"] as? Int ?? Int.max
            entries = entries.filter { $0.0 >= start && $0.0 < stop }
        case "search":
            let pattern = c["pattern"] as? String ?? "*"
            entries = entries.filter { fnmatch(pattern, $0.1, 0) == 0 }
            if c["unique"] as? Bool ?? false {
                var seen = Set<String>()
                entries = entries.reversed().filter { seen.insert($0.1).inserted }.reversed()
            }
            if let n = c["n"] as? Int { entries = Array(entries.suffix(Swift.max(n, 0))) }
        default:
            entries = Array(entries.suffix(Swift.max(c["n"] as? Int ?? 1000, 0)))
        }
        let rows: [[Any]] = entries.map { withOutput ? [0, $0.0, [$0.1, NSNull()]] : [0, $0.0, $0.1] }
        return ["status": "ok", "history": rows]
    }

    // MARK: control and heartbeat

    func serveControl() {
        while true {
            guard let ready = zmqPoll([control], timeout: 100) else { break }
            if ready.first == true {
                guard let parts = control.receive() else { break }
                guard let request = parse(parts, channel: "control") else { continue }
                iopub.status("busy", parent: request.header)
                if refused(request, on: control) {
                    iopub.status("idle", parent: request.header)
                    continue
                }
                switch request.type {
                case "interrupt_request":
                    LuaVM.requestInterrupt()
                    reply(control, to: request, "interrupt_reply", ["status": "ok"])
                case "shutdown_request":
                    shutdown(request, on: control)
                case "kernel_info_request":
                    reply(control, to: request, "kernel_info_reply", kernelInfo)
                default:
                    output.log("no answer to \(request.type) on control")
                }
                iopub.status("idle", parent: request.header)
            }
            if isStopping { break }
        }
        control.close()
    }

    /// Whether the request's content is refused (`RequestContent`): then it
    /// got an error reply naming the field, and nothing acts on it.
    func refused(_ request: KernelMessage, on socket: ZMQSocket) -> Bool {
        guard let why = RequestContent.problem(request.content, type: request.type) else { return false }
        output.log(why)
        reply(socket, to: request, String(request.type.dropLast("request".count)) + "reply", RequestContent.errorReply(why))
        return true
    }

    /// Replies, then stops: a running cell is interrupted, and the shell loop ends.
    func shutdown(_ request: KernelMessage, on socket: ZMQSocket) {
        let restart = request.content["restart"] as? Bool ?? false
        reply(socket, to: request, "shutdown_reply", ["status": "ok", "restart": restart])
        setStopping()
        LuaVM.requestInterrupt()
    }

    func echoHeartbeats() {
        while let ping = heartbeat.receive() {
            if (try? heartbeat.send(ping)) == nil { break }
        }
        heartbeat.close()
    }
}
