import CZMQ
import Foundation
import Glibc
import OptLabLua
import OptLabRuntime

/// The connection file Jupyter writes for a kernel it starts.
struct ConnectionInfo {
    var transport = "tcp", ip = "127.0.0.1"
    var shell = 0, iopub = 0, stdin = 0, control = 0, heartbeat = 0
    var key: [UInt8] = []

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw KernelError("cannot read the connection file \(path)") }
        guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KernelError("the connection file \(path) is not a JSON object")
        }
        if let scheme = o["signature_scheme"] as? String, scheme != "hmac-sha256" {
            throw KernelError("the connection file asks for signature scheme '\(scheme)'; optlab signs with hmac-sha256")
        }
        transport = o["transport"] as? String ?? transport
        ip = o["ip"] as? String ?? ip
        func port(_ k: String) -> Int { (o[k] as? Int) ?? Int(o[k] as? String ?? "") ?? 0 }
        (shell, iopub, stdin, control, heartbeat) = (port("shell_port"), port("iopub_port"), port("stdin_port"), port("control_port"), port("hb_port"))
        key = Array((o["key"] as? String ?? "").utf8)
    }
}

/// `optlab --kernel FILE`: a Jupyter kernel (messaging protocol 5.3) whose
/// session is one Lua state. Cells run on the main thread, one at a time;
/// the control channel (interrupt, shutdown) and the heartbeat have threads
/// of their own, so an interrupt reaches a cell that is busy training.
final class JupyterKernel: @unchecked Sendable {
    let vm: LuaVM
    let info: ConnectionInfo
    let signer: MessageSigner
    let session = UUID().uuidString.lowercased()
    let context: ZMQContext
    let shell, control, stdinSocket, heartbeat, iopubSocket: ZMQSocket
    let iopub: IOPub
    let output: OutputCapture
    let host: NotebookHost
    var kernelSupport: [String: LuaValue] = [:]
    var executionCount = 0
    /// (execution count, cell) of every cell run with store_history.
    var history: [(Int, String)] = []
    private let stateLock = NSLock()
    private var stopping = false
    /// The execute request being served (its sender answers input requests).
    var currentRequest: KernelMessage?

    init(vm: LuaVM, connectionFile: String) throws {
        self.vm = vm
        info = try ConnectionInfo(path: connectionFile)
        signer = MessageSigner(key: info.key)
        context = try ZMQContext()
        shell = try ZMQSocket(context, type: ZMQ_ROUTER)
        control = try ZMQSocket(context, type: ZMQ_ROUTER)
        stdinSocket = try ZMQSocket(context, type: ZMQ_ROUTER)
        heartbeat = try ZMQSocket(context, type: ZMQ_REP)
        iopubSocket = try ZMQSocket(context, type: ZMQ_PUB)
        iopub = IOPub(socket: iopubSocket, signer: signer, session: session)
        output = OutputCapture(iopub: iopub)
        host = NotebookHost(iopub: iopub)
    }

    var isStopping: Bool {
        stateLock.lock()
        defer { stateLock.unlock() }
        return stopping
    }

    func setStopping() {
        stateLock.lock()
        stopping = true
        stateLock.unlock()
    }

    func run() -> Int32 {
        do {
            _ = try shell.bind(transport: info.transport, ip: info.ip, port: info.shell)
            _ = try control.bind(transport: info.transport, ip: info.ip, port: info.control)
            _ = try stdinSocket.bind(transport: info.transport, ip: info.ip, port: info.stdin)
            _ = try heartbeat.bind(transport: info.transport, ip: info.ip, port: info.heartbeat)
            _ = try iopubSocket.bind(transport: info.transport, ip: info.ip, port: info.iopub)
            try loadSupport()
            try output.start()
        } catch {
            fputs("optlab: cannot start the kernel: \(error)\n", stderr)
            return 1
        }
        // Interrupts come as messages (the kernelspec says interrupt_mode
        // "message"); a Ctrl-C at the terminal that started Jupyter must not kill the session.
        signal(SIGINT, SIG_IGN)
        startThread("optlab-heartbeat") { [self] in echoHeartbeats() }
        startThread("optlab-control") { [self] in serveControl() }
        iopub.status("starting", parent: [:])
        iopub.status("idle", parent: [:])
        // Jupyter names the process that started the kernel; when it dies
        // without a shutdown request, the kernel leaves too (as ipykernel does).
        let parent = Environment.value("JPY_PARENT_PID").flatMap { Int32($0) }
        while !isStopping {
            if let parent, getppid() != parent {
                output.log("the process that started this kernel (pid \(parent)) is gone; stopping")
                break
            }
            guard let ready = zmqPoll([shell], timeout: 100) else { break }
            if ready.first == true, let parts = shell.receive() {
                guard let request = parse(parts, channel: "shell") else { continue }
                serveShell(request)
            }
        }
        output.drain()
        iopub.close()
        shell.close()
        stdinSocket.close()
        context.terminate()   // the control and heartbeat threads close theirs on ETERM
        return 0
    }

    private func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let t = Thread(block: body)
        t.name = name
        t.start()
    }

    /// One line from the notebook (io.read in a cell): an input_request on
    /// the stdin channel to the cell's front end, then its input_reply. An
    /// interrupt while waiting stops the cell as it would stop a loop.
    func readInput() throws -> String {
        guard let request = currentRequest, request.content["allow_stdin"] as? Bool ?? false else {
            throw RuntimeError(.argument, "io.read", "this front end does not take input (its execute request says allow_stdin = false)")
        }
        output.drain()
        var message = KernelMessage(header: messageHeader(type: "input_request", session: session), parent: request.header,
                                    content: ["prompt": "", "password": false])
        message.identities = request.identities
        try stdinSocket.send(message.wire(signer: signer))
        while true {
            if isStopping || LuaVM.takeInterrupt() { throw RuntimeError(.interrupted, "io.read", "interrupted while waiting for input") }
            guard let ready = zmqPoll([stdinSocket], timeout: 100) else { throw RuntimeError(.io, "io.read", "the kernel is shutting down") }
            guard ready.first == true, let parts = stdinSocket.receive(), let reply = parse(parts, channel: "stdin") else { continue }
            if reply.type == "input_reply" { return reply.content["value"] as? String ?? "" }
        }
    }

    private func loadSupport() throws {
        let now = try vm.function(named: "now") { _ in [.number(monotonicSeconds())] }
        guard case .record(let replFields)? = try vm.load(chunk: PackageResources.repl_lua, name: "@optlab/repl.lua",
                                                          arguments: [now, .bool(false)]).first else {
            throw KernelError("repl.lua returned no table")
        }
        let optlab = try vm.eval("require 'optlab'")   // help_text lives in the module table
        guard case .record(let module)? = optlab.first, let helpText = module.first(where: { $0.0 == "help_text" })?.1 else {
            throw KernelError("the optlab module has no help_text")
        }
        let host = self.host
        let sendDisplay = try vm.function(named: "display") { args in
            guard case .record(let fields)? = args.first else { return [] }
            var data: [String: Any] = [:]
            for (k, v) in fields { if let s = v.string { data[k] = s } }
            host.display(data)
            return []
        }
        let input = try vm.function(named: "io.read") { [unowned self] _ in [.string(try self.readInput())] }
        guard case .record(let fields)? = try vm.load(chunk: PackageResources.kernel_lua, name: "@optlab/kernel.lua",
                                                      arguments: [.record(replFields), helpText, sendDisplay, input]).first else {
            throw KernelError("kernel.lua returned no table")
        }
        kernelSupport = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        vm.host = host
        vm.trainingProgress = { [host] p in host.showProgress(p) }
    }
}
