import Foundation

/// The IOPub channel: one PUB socket shared by the threads that publish
/// (the cell's thread, the output readers, the control thread) under a
/// lock, with the header of the request being served as every message's parent.
final class IOPub: @unchecked Sendable {
    private let socket: ZMQSocket
    private let signer: MessageSigner
    private let session: String
    private let lock = NSLock()
    private var parent: [String: Any] = [:]
    /// A silent execute broadcasts nothing but its status (the spec's `silent`).
    private var quiet = false

    init(socket: ZMQSocket, signer: MessageSigner, session: String) {
        (self.socket, self.signer, self.session) = (socket, signer, session)
    }

    /// The request whose outputs the next messages are; `quiet` for a silent execute.
    func serving(_ header: [String: Any], quiet: Bool = false) {
        lock.lock()
        parent = header
        self.quiet = quiet
        lock.unlock()
    }

    func publish(_ type: String, _ content: [String: Any], parent explicit: [String: Any]? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !socket.closed, !(quiet && explicit == nil && type != "status") else { return }
        var message = KernelMessage(header: messageHeader(type: type, session: session), parent: explicit ?? parent, content: content)
        message.identities = [Array(type.utf8)]   // the topic: subscribers take every topic
        try? socket.send(message.wire(signer: signer))
    }

    func status(_ state: String, parent explicit: [String: Any]? = nil) {
        publish("status", ["execution_state": state], parent: explicit)
    }

    func close() {
        lock.lock()
        socket.close()
        lock.unlock()
    }
}
