import Foundation
import Testing
import OptLabLua
import OptLabRuntime

/// The embedding API a Swift host uses (public API only, as a dependent
/// package sees it): errors it raises, buffers, typed calls.
@Suite struct EmbeddingAPITests {
    // MARK: errors a host raises

    @Test func aHostClosureRaisesALuaErrorWithTheCallersPosition() throws {
        let vm = try LuaVM()
        struct DeviceBusy: Error, CustomStringConvertible { var description: String { "the camera is busy" } }
        try vm.register("grab") { (_: [LuaValue]) -> [LuaValue] in throw LuaError(message: "no frame yet") }
        try vm.register("grab2") { (_: Int) -> Double in throw DeviceBusy() }
        let message = try vm.eval("""
        (function()
          local ok, e = pcall(grab)
          local ok2, e2 = pcall(function() return grab2(3) end)
          return e .. "|" .. e2
        end)()
        """, as: String.self)
        #expect(message == "(eval):2: grab: no frame yet|(eval):3: grab2: the camera is busy", "\(message)")
    }

    // MARK: typed calls

    @Test func typedEvalCallAndGlobals() throws {
        let vm = try LuaVM()
        try vm.setGlobal("x", to: try Tensor(shape: [2, 2], [1, 2, 3, 4] as [Float]))
        #expect(try vm.eval("x:sum():item()", as: Double.self) == 10)
        let t = try vm.eval("x * 2", as: Tensor.self)
        #expect(t.shape == [2, 2])
        #expect(try [Float](t) == [2, 4, 6, 8])
        #expect(try vm.eval("{lr = 0.1, decay = 0.5}", as: [String: Double].self) == ["lr": 0.1, "decay": 0.5])
        #expect(try vm.eval("{1, 2, 3}", as: [Int].self) == [1, 2, 3])
        #expect(try vm.eval("nil", as: Double?.self) == nil)
        _ = try vm.run(code: "function train_one(batch, lr) return batch:sum():item() * lr end")
        #expect(try vm.call("train_one", with: [try Tensor(shape: [3], [1, 2, 3] as [Double]), 0.5], as: Double.self) == 3)
        try vm.setGlobal("name", to: "run-7")
        #expect(try vm.global("name", as: String.self) == "run-7")
        // the same tensor object comes back, not a copy
        let w = try Tensor.zeros([3])
        try vm.setGlobal("w", to: w)
        #expect(try vm.global("w", as: Tensor.self) === w)
    }

    @Test func aValueOfTheWrongTypeIsAClearError() throws {
        let vm = try LuaVM()
        #expect { try vm.eval("'text'", as: Double.self) } throws: {
            "\($0)" == "eval(\"'text'\"): number expected, got string"
        }
        #expect { try vm.eval("{1, 'a'}", as: [Double].self) } throws: { "\($0)".contains("table of numbers expected, got table") }
        _ = try vm.run(code: "function f() end")
        #expect { try vm.call("f", with: [], as: Tensor.self) } throws: { "\($0)" == "the result of 'f': tensor expected, got nil" }
    }

    @Test func typedClosuresConvertArgumentsAsTheBuiltinsDo() throws {
        let vm = try LuaVM()
        try vm.register("scaled") { (x: Tensor, by: Double) -> Tensor in try x.mul(by) }
        try vm.register("greet") { (who: String?) -> String in "hello " + (who ?? "world") }
        final class Log: @unchecked Sendable { var lines: [String] = [] }
        let log = Log()
        try vm.register("note") { (line: String) in log.lines.append(line) }
        #expect(try vm.eval("scaled(tensor.ones(2), 3):sum():item()", as: Double.self) == 6)
        #expect(try vm.eval("greet()", as: String.self) == "hello world")
        #expect(try vm.eval("greet('lab')", as: String.self) == "hello lab")
        _ = try vm.eval("note('epoch 1')")
        #expect(log.lines == ["epoch 1"])
        let wrong = try vm.eval("select(2, pcall(scaled, tensor.ones(2), 'x'))", as: String.self)
        #expect(wrong == "(eval):1: bad argument #2 to 'scaled' (number expected, got string)", "\(wrong)")
        let self1 = try vm.eval("select(2, pcall(scaled, {1, 2}, 3))", as: String.self)
        #expect(self1 == "(eval):1: bad argument #1 to 'scaled' (tensor expected, got table)", "\(self1)")
        let extra = try vm.eval("select(2, pcall(note, 'a', 'b'))", as: String.self)
        #expect(extra == "(eval):1: note: takes 1 argument, got 2", "\(extra)")
    }

    // MARK: buffers

    @Test func buffersGoInAndOutInOneCopy() throws {
        let pixels: [Float] = (0..<12).map { Float($0) / 11 }
        let image = try pixels.withUnsafeBufferPointer { try Tensor(shape: [1, 3, 4], copying: $0) }
        #expect(image.dtype == .f32 && image.shape == [1, 3, 4])
        #expect(try [Float](image) == pixels)
        #expect(try [Double](image) == pixels.map(Double.init), "converted when the dtypes differ")
        let before = image.version
        try image.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 7 }
        #expect(try image.withUnsafeBufferPointer(as: Float.self) { $0[0] } == 7)
        #expect(image.version == before + 1, "a write through the buffer counts as an in-place change")
        #expect { try image.withUnsafeBufferPointer(as: Double.self) { $0.count } } throws: {
            "\($0)".contains("the tensor is f32, read as Double (f64)")
        }
        #expect { try Tensor(shape: [2, 2], [1, 2, 3] as [Int32]) } throws: { "\($0)".contains("holds 4 elements, the array has 3") }
        let labels = try Tensor(shape: [3], [1, 2, 3] as [Int32])
        #expect(labels.dtype == .i32)
        #expect(try [Int32](labels) == [1, 2, 3])
    }

    @Test func aWriteThroughTheBufferUnderAGraphIsCaught() throws {
        let w = try Tensor(shape: [2], [1, 2] as [Double]).requiringGrad()
        let y = try w.mul(w).sum()
        try w.withUnsafeMutableBufferPointer(as: Double.self) { $0[0] = 5 }
        #expect(throws: RuntimeError.self) { try y.backward() }
    }
}
