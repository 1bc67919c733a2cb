using Overlay.Erasure.Galois;
using Overlay.Erasure.Kernels;

namespace Overlay.Erasure.Decoding;

/// <summary>
/// How to rebuild the missing shards of one erasure pattern: the k shards read (<see cref="Sources"/>),
/// the shards written (<see cref="Outputs"/>, missing data first, then missing parity) and the matrix
/// taking the first to the second, so reconstruction is one matrix multiplication over the stripe.
/// </summary>
internal sealed class DecodePlan
{
    // Arrays, the matrix object and the dictionary and list entries that hold a plan in the cache.
    private const int OverheadBytes = 256;

    private DecodePlan(int[] sources, int[] outputs, CoefficientMatrix matrix)
    {
        Sources = sources;
        Outputs = outputs;
        Matrix = matrix;
        SizeInBytes = OverheadBytes + (4L * (sources.Length + outputs.Length)) + matrix.SizeInBytes;
    }

    public int[] Sources { get; }

    public int[] Outputs { get; }

    public CoefficientMatrix Matrix { get; }

    /// <summary>Approximate bytes held, charged against the cache's budget.</summary>
    public long SizeInBytes { get; }

    /// <summary>
    /// Builds the plan: the lowest-numbered k present shards are the sources (data shards first, as
    /// their generator rows are unit rows); S is their k×k block of the generator [I; C]. Data shard d is
    /// row d of S⁻¹ times the sources, and parity shard p is C's row p times S⁻¹ times the sources.
    /// </summary>
    public static DecodePlan Build(GfKernel kernel, ReadOnlySpan<byte> parityRows, int dataShards, int parityShards, ReadOnlySpan<bool> present, bool dataOnly)
    {
        var k = dataShards;
        var sources = new int[k];
        var found = 0;
        var outputCount = 0;
        for (var i = 0; i < k + parityShards; i++)
        {
            if (present[i])
            {
                if (found < k)
                {
                    sources[found++] = i;
                }
            }
            else if (i < k || !dataOnly)
            {
                outputCount++;
            }
        }

        var outputs = new int[outputCount];
        var next = 0;
        for (var i = 0; i < k + parityShards && next < outputCount; i++)
        {
            if (!present[i] && (i < k || !dataOnly))
            {
                outputs[next++] = i;
            }
        }

        var chosen = new byte[k * k];
        for (var r = 0; r < k; r++)
        {
            GaloisMatrix.GeneratorRow(parityRows, k, sources[r], chosen.AsSpan(r * k, k));
        }

        var inverse = new byte[k * k];
        if (!GaloisMatrix.TryInvert(chosen, k, inverse))
        {
            // Unreachable for a Cauchy generator (every k rows are independent); a failure here is a bug.
            throw new InvalidOperationException($"the generator rows of shards [{string.Join(", ", sources)}] are singular");
        }

        var rows = new byte[outputCount * k];
        for (var r = 0; r < outputCount; r++)
        {
            var shard = outputs[r];
            var row = rows.AsSpan(r * k, k);
            if (shard < k)
            {
                inverse.AsSpan(shard * k, k).CopyTo(row);
            }
            else
            {
                GaloisMatrix.MultiplyRow(parityRows.Slice((shard - k) * k, k), inverse, k, row);
            }
        }

        return new DecodePlan(sources, outputs, new CoefficientMatrix(kernel, rows, outputCount, k));
    }
}
