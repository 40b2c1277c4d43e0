import Foundation
import Glibc
import OptLabRuntime

/// `optlab kernel install [--user | --prefix DIR]`: the kernelspec that
/// lets Jupyter start `optlab --kernel {connection_file}`, where
/// `jupyter kernelspec list` looks: DIR/share/jupyter/kernels/optlab
/// (default DIR /usr/local), or the user's data folder with --user.
enum KernelInstallCommand {
    static let usage = "usage: optlab kernel install [--user | --prefix DIR]"

    static func run(_ args: [String]) -> Int32 {
        if args.first == "--help" || args.first == "-h" || args.dropFirst().first == "--help" {
            print(usage + "\n  writes the kernelspec \"optlab (Lua 5.4)\" where Jupyter looks (/usr/local by default)")
            return 0
        }
        guard args.first == "install" else {
            fputs(usage + "\n", stderr)
            return 1
        }
        var folder: String
        switch Array(args.dropFirst()) {
        case []: folder = "/usr/local/share/jupyter/kernels/optlab"
        case ["--user"]: folder = userDataFolder() + "/kernels/optlab"
        case let a where a.count == 2 && a[0] == "--prefix": folder = a[1] + "/share/jupyter/kernels/optlab"
        default:
            fputs(usage + "\n", stderr)
            return 1
        }
        do {
            try install(into: folder)
            print("installed the optlab kernelspec in \(folder)")
            return 0
        } catch {
            fputs("\(error)\n", stderr)   // (its errors name "optlab kernel install" themselves)
            return 1
        }
    }

    /// Jupyter's user data folder: $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.
    static func userDataFolder() -> String {
        let env = Environment.variables
        if let d = env["JUPYTER_DATA_DIR"], !d.isEmpty { return d }
        if let x = env["XDG_DATA_HOME"], !x.isEmpty { return x + "/jupyter" }
        return (env["HOME"] ?? "/root") + "/.local/share/jupyter"
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    }

    static func install(into folder: String) throws {
        try RunFolder.makeDirectories(folder, op: "optlab kernel install")
        let spec: [String: Any] = [
            "argv": [executablePath(), "--kernel", "{connection_file}"],
            "display_name": "optlab (Lua 5.4)",
            "language": "lua",
            "interrupt_mode": "message",
            "metadata": ["debugger": false],
        ]
        let json = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write([UInt8](json) + [10], to: folder + "/kernel.json", op: "optlab kernel install")
        for size in [32, 64] {
            try AtomicFile.write(try logo(size: size), to: folder + "/logo-\(size)x\(size).png", op: "optlab kernel install")
        }
    }

    /// The logo: a falling loss curve, white on optlab's blue.
    static func logo(size: Int) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 255, count: size * size * 3)
        let s = Double(size)
        for y in 0..<size {
            for x in 0..<size {
                let i = (y * size + x) * 3
                let (u, v) = (Double(x) / s, Double(y) / s)
                // rounded square
                let r = 0.18, dx = max(abs(u - 0.5) - (0.5 - r), 0), dy = max(abs(v - 0.5) - (0.5 - r), 0)
                guard dx * dx + dy * dy <= r * r else { continue }
                var rgb: (UInt8, UInt8, UInt8) = (31, 119, 180)
                // the curve y = 0.2 + 0.6·exp(-4u), drawn with a width of 0.06
                let curve = 0.2 + 0.6 * Foundation.exp(-4 * (u - 0.12) / 0.8)
                if u > 0.12, u < 0.9, abs((1 - v) - curve) < 0.05 { rgb = (255, 255, 255) }
                if abs(u - 0.12) < 0.03, v > 0.12, v < 0.88 { rgb = (200, 225, 245) }   // y axis
                if abs(v - 0.88) < 0.03, u > 0.12, u < 0.9 { rgb = (200, 225, 245) }   // x axis
                (pixels[i], pixels[i + 1], pixels[i + 2]) = (rgb.0, rgb.1, rgb.2)
            }
        }
        return try PNG.encode(width: size, height: size, channels: 3, pixels: pixels)
    }
}
