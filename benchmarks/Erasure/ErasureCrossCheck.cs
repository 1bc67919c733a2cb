using System.Buffers.Binary;
using Overlay.Erasure;
using Overlay.Erasure.Kernels;

namespace Overlay.Benchmarks.Erasure;

/// <summary>
/// Compares Overlay.Erasure with the cases <c>scripts/erasure-anchor.sh crosscheck</c> has Go's
/// klauspost/reedsolomon write: the parity of its Cauchy matrix (the same construction) must match
/// ours byte for byte (on every kernel this processor runs), our rebuild of the erased shards must give back its data and parity, and the
/// data it rebuilt under its default (Vandermonde) matrix must equal ours. Run with
/// <c>erasure-crosscheck DIR</c>; exits non-zero on the first disagreement.
/// </summary>
public static class ErasureCrossCheck
{
    public static int Run(TextWriter output, string directory)
    {
        var files = Directory.GetFiles(directory, "case-*.bin").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            output.WriteLine($"erasure-crosscheck: no case-*.bin files in {directory}");
            return 1;
        }

        foreach (var file in files)
        {
            var failure = Check(File.ReadAllBytes(file), out var description);
            output.WriteLine($"{Path.GetFileName(file)}: {description}: {failure ?? "agrees"}");
            if (failure is not null)
            {
                return 1;
            }
        }

        output.WriteLine($"{files.Length} cases agree with klauspost/reedsolomon");
        return 0;
    }

    // Layout (little-endian): k, m, shard length as u32; k + m presence bytes; k + m shards (data, then
    // Cauchy parity); the k data shards klauspost rebuilt under its default matrix.
    private static string? Check(byte[] file, out string description)
    {
        var k = (int)BinaryPrimitives.ReadUInt32LittleEndian(file);
        var m = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4));
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8));
        var n = k + m;
        var present = file.AsSpan(12, n).ToArray().Select(b => b != 0).ToArray();
        var lost = Enumerable.Range(0, n).Where(i => !present[i]).ToArray();
        description = $"{k}+{m}, {length}-byte shards, lost " + (lost.Length <= 8 ? $"[{string.Join(", ", lost)}]" : $"{lost.Length} shards");
        var stripe = file.AsMemory(12 + n, n * length);
        var goRebuiltData = file.AsMemory(12 + n + (n * length), k * length);
        if (file.Length != 12 + n + ((n + k) * length))
        {
            return $"file is {file.Length} bytes, not {12 + n + ((n + k) * length)}";
        }

        foreach (var kernel in GfKernels.All.Where(GfKernels.IsSupported))
        {
            var failure = Check(new ReedSolomonCodec(k, m, ReedSolomonCodec.DefaultDecodeCacheBytes, kernel), present, stripe, goRebuiltData, length);
            if (failure is not null)
            {
                return $"{kernel}: {failure}";
            }
        }

        return null;
    }

    private static string? Check(ReedSolomonCodec codec, bool[] present, ReadOnlyMemory<byte> stripe, ReadOnlyMemory<byte> goRebuiltData, int length)
    {
        var (k, m, n) = (codec.DataShards, codec.ParityShards, codec.TotalShards);
        var parity = new byte[m * length];
        codec.Encode(stripe.Span[..(k * length)], parity);
        if (!parity.AsSpan().SequenceEqual(stripe.Span[(k * length)..]))
        {
            return "parity differs from klauspost's Cauchy parity";
        }

        if (!goRebuiltData.Span.SequenceEqual(stripe.Span[..(k * length)]))
        {
            return "klauspost's rebuilt data differs from the original data";
        }

        var shards = new Memory<byte>[n];
        for (var i = 0; i < n; i++)
        {
            shards[i] = present[i] ? stripe.Slice(i * length, length).ToArray() : new byte[length];
        }

        if (!codec.TryReconstruct(shards, present, out var error))
        {
            return $"reconstruction refused: {error}";
        }

        for (var i = 0; i < n; i++)
        {
            var expected = i < k ? goRebuiltData.Span.Slice(i * length, length) : stripe.Span.Slice(i * length, length);
            if (!shards[i].Span.SequenceEqual(expected))
            {
                return $"rebuilt shard {i} differs from klauspost's";
            }
        }

        return codec.TryVerify(shards, out error) ? null : $"the rebuilt stripe does not verify: {error}";
    }
}
