import CZMQ
import Glibc

/// The few ZeroMQ calls the kernel makes (libzmq's C API): sockets that send
/// and receive multipart messages, and polling several at once.
struct ZMQError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: zmq_strerror(zmq_errno())))" }
    /// The context is being terminated: the socket's thread should close it and leave.
    static var terminated: Bool { zmq_errno() == ETERM }
}

final class ZMQContext: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    init() throws {
        guard let c = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
        raw = c
    }
    /// Waits until every socket is closed (their pending messages sent, up to their linger).
    func terminate() { zmq_ctx_term(raw) }
}

/// One socket. Not thread-safe, as ZeroMQ's are not: each is used by one
/// thread, or under a lock (the IOPub socket).
final class ZMQSocket: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private(set) var closed = false

    init(_ context: ZMQContext, type: Int32) throws {
        guard let s = zmq_socket(context.raw, type) else { throw ZMQError("zmq_socket") }
        raw = s
        var linger: Int32 = 1000   // pending replies get a second to leave at shutdown
        zmq_setsockopt(raw, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    /// Binds to `transport://ip:port`; port 0 picks a free one. Returns the port bound.
    func bind(transport: String, ip: String, port: Int) throws -> Int {
        let endpoint = "\(transport)://\(ip):\(port == 0 ? "*" : String(port))"
        guard zmq_bind(raw, endpoint) == 0 else { throw ZMQError("cannot bind \(endpoint)") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size)
        let bound = String(cString: buffer)
        return Int(bound.split(separator: ":").last ?? "") ?? port
    }

    func subscribeAll() { zmq_setsockopt(raw, ZMQ_SUBSCRIBE, "", 0) }

    func send(_ parts: [[UInt8]]) throws {
        for (i, part) in parts.enumerated() {
            let flags = i < parts.count - 1 ? Int32(ZMQ_SNDMORE) : 0
            let sent = part.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            guard sent >= 0 else { throw ZMQError("zmq_send") }
        }
    }

    /// One whole multipart message, or nil on an error (ETERM at shutdown).
    func receive() -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            guard zmq_msg_recv(&msg, raw, 0) >= 0 else { return nil }
            let n = zmq_msg_size(&msg)
            if n > 0, let data = zmq_msg_data(&msg) {
                parts.append(Array(UnsafeRawBufferPointer(start: data, count: n)))
            } else {
                parts.append([])
            }
            if zmq_msg_more(&msg) == 0 { return parts }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        zmq_close(raw)
    }
}

/// Which of `sockets` have a message waiting, after at most `timeout` ms
/// (empty on timeout); nil when the context is being terminated.
func zmqPoll(_ sockets: [ZMQSocket], timeout: Int) -> [Bool]? {
    var items = sockets.map { zmq_pollitem_t(socket: $0.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    let n = zmq_poll(&items, Int32(items.count), timeout)
    if n < 0 { return zmq_errno() == EINTR ? sockets.map { _ in false } : nil }
    return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
}
