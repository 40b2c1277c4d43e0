import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct CIFARTests {
    @Test func binaryBatchesAreRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func record(_ label: UInt8, _ pixel: UInt8) -> [UInt8] { [label] + [UInt8](repeating: pixel, count: 3072) }
        for i in 1...5 { try Data(record(UInt8(i), 255) + record(0, 0)).write(to: URL(fileURLWithPath: "\(dir)/data_batch_\(i).bin")) }
        try Data(record(9, 51)).write(to: URL(fileURLWithPath: "\(dir)/test_batch.bin"))
        let (train, test) = try Datasets.cifar10(directory: dir)
        #expect(train.count == 10 && test.count == 1)
        #expect(train.inputs.shape == [10, 3, 32, 32])
        #expect(train.labels.toInt32s() == [1, 0, 2, 0, 3, 0, 4, 0, 5, 0])
        #expect(Swift.abs(try test.inputs.mean().item() - 0.2) < 1e-6 && test.labels.toInt32s() == [9])
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(dir)/test_batch.bin"))
        #expect(throws: RuntimeError.self) { try Datasets.cifar10(directory: dir) }
    }
}
