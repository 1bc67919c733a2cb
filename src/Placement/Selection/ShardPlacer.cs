using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Selection;

/// <summary>
/// Chooses the peers that hold an object's replicas: weighted sampling without replacement (Efraimidis &amp;
/// Spirakis 2006) under hard diversity caps, never by argmax. docs/PLACEMENT.md, "Selection".
/// </summary>
/// <remarks>
/// <para>
/// Each eligible candidate i gets the key E_i / w_i, with E_i = −ln u_i exponentially distributed, and
/// candidates are taken in ascending key order; the first is candidate i with probability w_i / Σw, and each
/// next one likewise among those left. u_i is not drawn afresh: it is a hash of the object id (under this
/// placer's secret salt) and the candidate's PeerId. So one object maps to the same peers while weights stay
/// put, a small change of weights moves few objects (as in weighted rendezvous hashing), and a peer cannot
/// grind its PeerId towards objects without knowing the salt.
/// </para>
/// <para>
/// Caps that weight cannot buy past: at most one replica per public /24 or /48 (<see cref="PlacementCandidate.NetworkGroup"/>),
/// at most ⌈r/2⌉ per region or, for peers without a region, per coordinate cluster (peers within
/// <see cref="PlacementOptions.ClusterRadiusMs"/> of each other), never the requesting node. A candidate
/// that would break a cap is passed over; taking the rest in key order is then the same as sampling in
/// proportion to weight among the candidates the caps still allow. Only when no such candidate is left are
/// the passed-over ones taken, fewest cap conflicts first, and counted as the shortfall.
/// </para>
/// <para>
/// Cost: one pass over the set computing a hash per candidate, a logarithm only for candidates that could
/// still enter a bounded heap of the smallest keys, then a few cap checks. No allocation once the calling
/// thread's scratch buffers have grown to the set's size.
/// </para>
/// </remarks>
public sealed class ShardPlacer : IDisposable
{
    /// <summary>Length of the salt in bytes.</summary>
    public const int SaltSize = 32;

    [ThreadStatic]
    private static SelectionWorkspace? t_workspace;

    private readonly byte[] _salt;
    // One keyed state per thread, built once from the salt: selecting allocates nothing after warm-up.
    private readonly ThreadLocal<Blake3KeyedHasher> _objectHashers;
    private readonly PlacementOptions _options;
    private readonly PlacementMetrics _metrics;
    private bool _disposed;

    /// <summary>
    /// A placer keyed by <paramref name="salt"/> (<see cref="SaltSize"/> bytes). A node draws it from a
    /// CSPRNG and keeps it secret: anyone who knows it can predict which peers an object goes to.
    /// </summary>
    public ShardPlacer(PlacementOptions options, ReadOnlySpan<byte> salt, PlacementMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"The placement salt is {SaltSize} bytes, not {salt.Length}.", nameof(salt));
        }

        _options = options;
        _salt = salt.ToArray();
        _objectHashers = new ThreadLocal<Blake3KeyedHasher>(() => Blake3KeyedHasher.Create(_salt), trackAllValues: true);
        _metrics = metrics;
    }

    /// <summary>A placer whose salt is drawn from <paramref name="random"/>: for tests and simulations that replay from one seed.</summary>
    public ShardPlacer(PlacementOptions options, Random random, PlacementMetrics metrics)
        : this(options, DrawSalt(random), metrics)
    {
    }

    /// <summary>Where shortfalls are counted.</summary>
    public PlacementMetrics Metrics => _metrics;

    /// <summary>
    /// Places <paramref name="replicas"/> replicas of <paramref name="objectId"/>: prepares the weights of
    /// <paramref name="candidates"/> under <paramref name="trust"/> and selects. Allocates the prepared set and
    /// the result; for many objects over one candidate set, prepare once with
    /// <see cref="WeightedCandidates.Prepare"/> and call the other overload.
    /// </summary>
    /// <param name="objectId">The object's id (any length; usually its 32-byte hash).</param>
    /// <param name="replicas">r: total replicas wanted, holders included (1..64).</param>
    /// <param name="candidates">Peers that could hold a replica.</param>
    /// <param name="trust">Global trust; <see cref="TrustSnapshot.Empty"/> places without trust.</param>
    /// <param name="requester">The node placing; never chosen.</param>
    /// <param name="requiredBytes">The replica's size: a candidate announcing less free space is passed over.</param>
    /// <param name="holders">Peers that already hold the object (for repair): they count towards r and the caps and are never chosen again.</param>
    public PlacementResult Select(ReadOnlySpan<byte> objectId, int replicas, ReadOnlySpan<PlacementCandidate> candidates, TrustSnapshot trust, PeerId requester, long requiredBytes = 0, ReadOnlySpan<PeerId> holders = default)
    {
        var set = WeightedCandidates.Prepare(candidates, trust, _options);
        var chosen = new int[replicas];
        var outcome = Select(objectId, replicas, set, requester, chosen, requiredBytes, holders);
        var peers = new PeerId[outcome.Placed];
        for (var i = 0; i < peers.Length; i++)
        {
            peers[i] = set.PeerAt(chosen[i]);
        }

        return new PlacementResult(peers, outcome);
    }

    /// <summary>
    /// Places <paramref name="replicas"/> replicas of <paramref name="objectId"/> on <paramref name="candidates"/>,
    /// writing the chosen candidates' indexes to <paramref name="chosen"/> (at least <paramref name="replicas"/>
    /// long) in the order chosen: within the caps first, past them last. Allocation-free after warm-up.
    /// </summary>
    public PlacementOutcome Select(ReadOnlySpan<byte> objectId, int replicas, WeightedCandidates candidates, PeerId requester, Span<int> chosen, long requiredBytes = 0, ReadOnlySpan<PeerId> holders = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicas, 64);
        if (chosen.Length < replicas)
        {
            throw new ArgumentException($"Room for {replicas} chosen indexes is needed.", nameof(chosen));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        var workspace = t_workspace ??= new SelectionWorkspace();
        workspace.Begin(candidates, replicas, _options.ClusterRadiusMs, requester, requiredBytes);
        workspace.AddHolders(holders);
        var wanted = replicas - workspace.ChosenCount;
        if (wanted <= 0 || candidates.EligibleCount == 0)
        {
            return Finish(new PlacementOutcome(0, 0, 0, 0, Math.Max(0, wanted)));
        }

        var seed = ObjectSeed(objectId);
        var heapSize = Math.Min(candidates.EligibleCount, Math.Max(16, 4 * replicas));
        while (true)
        {
            var taken = workspace.TakeInKeyOrder(seed, heapSize, chosen[..wanted]);
            if (taken == wanted || heapSize == candidates.EligibleCount)
            {
                break;
            }

            // Caps or ineligible peers passed over more than the heap held: look further, from the start.
            heapSize = Math.Min(candidates.EligibleCount, heapSize * 8);
            workspace.Restart();
        }

        var withinCaps = workspace.NewCount;
        var relaxed = workspace.TakePassedOver(chosen[..wanted], out var subnet, out var cluster);
        var placed = withinCaps + relaxed;
        return Finish(new PlacementOutcome(placed, relaxed, subnet, cluster, wanted - placed));
    }

    /// <summary>A 64-bit mixing function with full avalanche (MurmurHash3's finaliser).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }

    /// <summary>The uniform u_i in (0, 1) of a candidate for one object: two mixing rounds over the object seed and the PeerId key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Uniform(ulong objectSeed, ulong peerKey)
    {
        var h = Mix(Mix(objectSeed ^ peerKey) + objectSeed);
        return ((h >> 11) + 0.5) * (1.0 / (1UL << 53));
    }

    private PlacementOutcome Finish(PlacementOutcome outcome)
    {
        _metrics.Shortfall(ShortfallKind.SubnetCap, outcome.SubnetCapExceeded);
        _metrics.Shortfall(ShortfallKind.ClusterCap, outcome.ClusterCapExceeded);
        _metrics.Shortfall(ShortfallKind.Missing, outcome.Missing);
        return outcome;
    }

    /// <summary>Clears the salt and every keyed state built from it; the placer cannot select afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var hasher in _objectHashers.Values)
        {
            hasher.Dispose();
        }

        _objectHashers.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }

    /// <summary>Keyed BLAKE3 of the object id under the salt (a PRF): unpredictable without the salt, uniform per object.</summary>
    private ulong ObjectSeed(ReadOnlySpan<byte> objectId)
    {
        Span<byte> mac = stackalloc byte[sizeof(ulong)];
        _objectHashers.Value!.Hash(objectId, mac);
        return BinaryPrimitives.ReadUInt64LittleEndian(mac);
    }

    private static byte[] DrawSalt(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var salt = new byte[SaltSize];
        random.NextBytes(salt);
        return salt;
    }
}
