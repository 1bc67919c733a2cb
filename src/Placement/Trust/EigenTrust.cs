namespace Overlay.Placement.Trust;

/// <summary>
/// Global trust by EigenTrust's power iteration with pre-trusted peers (Kamvar, Schlosser, Garcia-Molina,
/// WWW 2003, Algorithm 2): t⁰ = p, t ← (1−a)·Cᵀt + a·p, until the L1 distance between iterates falls below
/// the tolerance. p is spread over the pre-trusted peers as the matrix weighs them (uniform unless weights were
/// given; over every peer, uniform, when none is known). A peer with
/// an empty row passes its trust on as p, as the paper defines c_ij = p_j for a peer that trusts no one, so
/// the total trust stays 1.
/// </summary>
public static class EigenTrust
{
    /// <summary>Computes global trust over <paramref name="matrix"/> with the options' a, tolerance and iteration limit.</summary>
    public static TrustSnapshot Compute(TrustMatrix matrix, PlacementOptions options, DateTimeOffset computedAt)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Compute(matrix, options.PreTrustWeight, options.ConvergenceTolerance, options.MaxIterations, computedAt);
    }

    /// <summary>Computes global trust over <paramref name="matrix"/>; allocates the result vector and a scratch vector.</summary>
    public static TrustSnapshot Compute(TrustMatrix matrix, double preTrustWeight, double tolerance, int maxIterations, DateTimeOffset computedAt)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var trust = new double[matrix.PeerCount];
        var scratch = new double[matrix.PeerCount];
        var run = Solve(matrix, preTrustWeight, tolerance, maxIterations, trust, scratch);
        var preTrusted = matrix.PreTrusted;
        var preTrustedMass = 0.0;
        foreach (var i in preTrusted)
        {
            preTrustedMass += trust[i];
        }

        // Without pre-trusted peers (or with nobody else) the crowd is everyone.
        var crowd = matrix.PeerCount - preTrusted.Length;
        var reference = crowd > 0 && preTrusted.Length > 0 ? Math.Max(0, 1 - preTrustedMass) / crowd : 1.0 / Math.Max(1, matrix.PeerCount);
        return new TrustSnapshot(matrix.PeerArray, matrix.Index, trust, reference, run, computedAt, restsOnEvidence: matrix.EntryCount > 0);
    }

    /// <summary>
    /// The power iteration without allocating: writes global trust into <paramref name="trust"/> using
    /// <paramref name="scratch"/>, both of <see cref="TrustMatrix.PeerCount"/> elements.
    /// </summary>
    public static EigenTrustRun Solve(TrustMatrix matrix, double preTrustWeight, double tolerance, int maxIterations, Span<double> trust, Span<double> scratch)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (!(preTrustWeight > 0 && preTrustWeight < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(preTrustWeight), preTrustWeight, "a lies strictly between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        var n = matrix.PeerCount;
        if (trust.Length != n || scratch.Length != n)
        {
            throw new ArgumentException($"Both vectors need exactly {n} elements.", nameof(trust));
        }

        if (n == 0)
        {
            return new EigenTrustRun(0, 0, true);
        }

        var preTrusted = matrix.PreTrusted;
        var preTrust = matrix.PreTrust;
        SetPreTrusted(trust, preTrusted, preTrust, 1.0);

        var rowStart = matrix.RowStarts;
        var columns = matrix.Columns;
        var values = matrix.Values;
        var current = trust;
        var next = scratch;
        var residual = double.PositiveInfinity;
        var iterations = 0;
        while (iterations < maxIterations)
        {
            iterations++;
            next.Clear();
            var dangling = 0.0;
            for (var i = 0; i < n; i++)
            {
                var ti = current[i];
                if (ti == 0)
                {
                    // Peers without trust pass none on; most of a collective sits here once found out.
                    continue;
                }

                var start = rowStart[i];
                var end = rowStart[i + 1];
                if (start == end)
                {
                    dangling += ti;
                    continue;
                }

                for (var k = start; k < end; k++)
                {
                    next[columns[k]] += values[k] * ti;
                }
            }

            // next = (1−a)(Cᵀt + dangling·p) + a·p; rounding of float rows is removed by rescaling to sum 1.
            var sum = 0.0;
            for (var j = 0; j < n; j++)
            {
                sum += next[j];
            }

            var restart = (1 - preTrustWeight) * dangling + preTrustWeight;
            var scale = (1 - restart) / (sum > 0 ? sum : 1);
            for (var j = 0; j < n; j++)
            {
                next[j] *= scale;
            }

            AddPreTrusted(next, preTrusted, preTrust, restart);
            residual = 0;
            for (var j = 0; j < n; j++)
            {
                residual += Math.Abs(next[j] - current[j]);
            }

            var swap = current;
            current = next;
            next = swap;
            if (residual < tolerance)
            {
                break;
            }
        }

        if (iterations % 2 == 1)
        {
            // The last iterate sits in scratch after an odd number of swaps.
            current.CopyTo(trust);
        }

        return new EigenTrustRun(iterations, residual, residual < tolerance);
    }

    private static void SetPreTrusted(Span<double> vector, ReadOnlySpan<int> preTrusted, ReadOnlySpan<double> preTrust, double mass)
    {
        vector.Clear();
        AddPreTrusted(vector, preTrusted, preTrust, mass);
    }

    private static void AddPreTrusted(Span<double> vector, ReadOnlySpan<int> preTrusted, ReadOnlySpan<double> preTrust, double mass)
    {
        if (preTrusted.IsEmpty)
        {
            var share = mass / vector.Length;
            for (var j = 0; j < vector.Length; j++)
            {
                vector[j] += share;
            }

            return;
        }

        for (var k = 0; k < preTrusted.Length; k++)
        {
            vector[preTrusted[k]] += mass * preTrust[k];
        }
    }
}
