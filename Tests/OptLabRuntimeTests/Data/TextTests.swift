import Foundation
import Testing
@testable import OptLabRuntime

/// A character corpus and its next-token blocks, worked by hand on short texts.
@Suite struct TextTests {
    @Test func theVocabularyIsTheSortedCharactersAndTokensRoundTrip() throws {
        let c = try TextCorpus(text: "banana\n")
        #expect(c.vocabulary.map { String($0) } == ["\n", "a", "b", "n"])
        #expect(c.tokens.toDoubles() == [2, 1, 3, 1, 3, 1, 0])
        #expect(try c.encode("nab") == [3, 1, 2])
        #expect(try c.decode([2, 1, 3]) == "ban")
        #expect(throws: RuntimeError(.argument, "encode", "character x at position 2 is not in the vocabulary (4 characters)")) { try c.encode("ax") }
        #expect(throws: RuntimeError(.argument, "decode", "token 5 at position 1 is out of range 1..4")) { try c.decode([4]) }
        // a character beyond ASCII is one token (a Unicode scalar), as Python's str counts
        #expect(try TextCorpus(text: "é日é").vocabulary.count == 2)
    }

    @Test func theSplitKeepsTheStreamsOrderTrainFirst() throws {
        let c = try TextCorpus(text: "abcdefghij")
        let (train, val) = try c.split(validation: 0.2)
        #expect(train.toDoubles() == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(val.toDoubles() == [8, 9])
        #expect(throws: RuntimeError.self) { try c.split(validation: 1) }
    }

    @Test func aBlockIsItsTokensAsOneBasedIdsAndTheNextTokensAsTargets() throws {
        let stream = try Tensor(int32: [5, 6, 7, 8, 9, 10])
        let d = try Dataset.tokens(stream, vocabulary: 11, block: 3, perEpoch: 4)
        #expect(d.count == 4 && d.predictionCount == 12 && d.blocks?.positions == 3)
        let b = try d.batch(0, of: [2, 0], size: 2)
        #expect(b.inputs.shape == [2, 3] && b.labels.shape == [2, 3])
        #expect(b.inputs.toDoubles() == [8, 9, 10, 6, 7, 8])
        #expect(b.labels.toDoubles() == [8, 9, 10, 6, 7, 8])
        // evaluation's starts: i·positions/perEpoch
        #expect(d.fixedOrder == [0, 0, 1, 2])
        #expect(throws: RuntimeError.self) { try Dataset.tokens(stream, vocabulary: 11, block: 6) }
        #expect(throws: RuntimeError.self) { try d.split(0.5) }
    }

    @Test func anEpochsStartsComeFromItsGeneratorAndReplay() throws {
        let d = try Dataset.tokens(try Tensor(int32: (0..<1000).map { Int32($0 % 7) }), vocabulary: 7, block: 10, perEpoch: 50)
        let a = d.epochOrder(Generator(seed: 3)), b = d.epochOrder(Generator(seed: 3))
        #expect(a == b && a.count == 50)
        #expect(a.allSatisfy { (0..<990).contains($0) })
        #expect(Set(a).count > 40)   // drawn, not a fixed pattern
        #expect(d.epochOrder(Generator(seed: 4)) != a)
    }

    @Test func f32GELUIsWithinAFewUlpOfTheExactValue() throws {
        // the f32 path's rational erf (x ≥ −1) and libm's erfc (below) against f64; below −5
        // the rounding of x/√2 to f32 alone moves erfc by more (its relative slope is 2z)
        let xs = stride(from: -5.0, through: 8.0, by: 0.001).map { $0 }
        let ours = try Tensor.from(xs, dtype: .f32).gelu().toDoubles()
        let exact = try Tensor.from(xs.map { Double(Float($0)) }, dtype: .f64).gelu().toDoubles()
        var worst = 0.0
        var worstAt = 0.0
        for (x, (o, e)) in zip(xs, zip(ours, exact)) where Swift.abs(e) > 1e-30 && Swift.abs(o - e) / Swift.abs(e) > worst { worst = Swift.abs(o - e) / Swift.abs(e); worstAt = x }
        #expect(worst < 2e-6, "worst relative error \(worst) at \(worstAt)")
    }
}

