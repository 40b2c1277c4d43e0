import COpenSSL
import Foundation

/// A Jupyter message (messaging protocol 5.3) and its wire form:
/// `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]`,
/// where the signature is the hex HMAC-SHA256, under the connection file's
/// key, of the four JSON frames as they travel.
struct KernelMessage {
    var identities: [[UInt8]] = []
    var header: [String: Any]
    var parent: [String: Any] = [:]
    var metadata: [String: Any] = [:]
    var content: [String: Any]
    var type: String { header["msg_type"] as? String ?? "" }

    static let delimiter = Array("<IDS|MSG>".utf8)
    static let protocolVersion = "5.3"
}

/// Signs and checks messages with the session's key; an empty key (allowed
/// by the spec for trusted settings) means no signatures.
struct MessageSigner {
    let key: [UInt8]

    func signature(_ frames: [[UInt8]]) -> String {
        guard !key.isEmpty else { return "" }
        let data = frames.reduce(into: [UInt8]()) { $0 += $1 }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.bindMemory(to: UInt8.self).baseAddress, d.count, &digest, &length)
            }
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compared in constant time: the position of a first difference must not leak.
    func verify(_ frames: [[UInt8]], signature: [UInt8]) -> Bool {
        let expected = Array(self.signature(frames).utf8)
        guard expected.count == signature.count else { return false }
        return expected.withUnsafeBytes { e in signature.withUnsafeBytes { s in CRYPTO_memcmp(e.baseAddress, s.baseAddress, e.count) == 0 } }
    }
}

enum WireError: Error, CustomStringConvertible {
    case malformed(String), badSignature
    var description: String {
        switch self {
        case .malformed(let why): return "malformed message: \(why)"
        case .badSignature: return "bad signature"
        }
    }
}

extension KernelMessage {
    /// Parses a received multipart message, checking its signature first.
    init(wire parts: [[UInt8]], signer: MessageSigner) throws {
        guard let d = parts.firstIndex(of: KernelMessage.delimiter) else { throw WireError.malformed("no <IDS|MSG> delimiter") }
        guard parts.count >= d + 6 else { throw WireError.malformed("\(parts.count - d - 1) frames after the delimiter, 5 expected") }
        let frames = Array(parts[(d + 2)...(d + 5)])
        guard signer.verify(frames, signature: parts[d + 1]) else { throw WireError.badSignature }
        func object(_ bytes: [UInt8], _ name: String) throws -> [String: Any] {
            guard let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw WireError.malformed("\(name) is not a JSON object")
            }
            return o
        }
        identities = Array(parts[..<d])
        header = try object(frames[0], "header")
        parent = try object(frames[1], "parent_header")
        metadata = try object(frames[2], "metadata")
        content = try object(frames[3], "content")
    }

    func wire(signer: MessageSigner) -> [[UInt8]] {
        func json(_ o: [String: Any]) -> [UInt8] {
            // Values are built by the kernel from JSON-compatible types only.
            (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])).map { [UInt8]($0) } ?? Array("{}".utf8)
        }
        let frames = [json(header), json(parent), json(metadata), json(content)]
        return identities + [KernelMessage.delimiter, Array(signer.signature(frames).utf8)] + frames
    }
}

/// A message header for a message this kernel sends.
func messageHeader(type: String, session: String) -> [String: Any] {
    ["msg_id": UUID().uuidString.lowercased(), "session": session, "username": "optlab", "msg_type": type,
     "version": KernelMessage.protocolVersion, "date": iso8601Now()]
}

func iso8601Now() -> String {
    var ts = timespec(), t = tm()
    clock_gettime(CLOCK_REALTIME, &ts)
    gmtime_r(&ts.tv_sec, &t)
    var buffer = [CChar](repeating: 0, count: 32)
    strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &t)
    return String(cString: buffer) + String(format: ".%06dZ", Int(ts.tv_nsec / 1000))
}
