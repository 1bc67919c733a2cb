using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Overlay.Node.Composition;

/// <summary>
/// Audit nonces (and the placement salt) of a simulated node, drawn from a source of their own that is
/// seeded from the node's seed. Were they drawn from the node's one seeded source, any change in how many
/// nonces are drawn would shift every later draw of the node (timers, lookups, victims), and runs could no
/// longer be compared across such a change. The daemon does not use this: its nonces come from the CSPRNG,
/// so a holder cannot predict them.
/// </summary>
public sealed class SeededNonceSource
{
    private static readonly byte[] Purpose = "overlay audit nonces"u8.ToArray();
    private readonly Random _random;

    /// <summary>Creates the nonce source of the node seeded with <paramref name="nodeSeed"/>.</summary>
    public SeededNonceSource(int nodeSeed) => _random = new Random(DeriveSeed(nodeSeed));

    /// <summary>Fills <paramref name="nonce"/> with the next bytes of the source.</summary>
    public void Fill(Span<byte> nonce) => _random.NextBytes(nonce);

    /// <summary>
    /// The seed of the nonce source: a hash of the node's seed under a purpose label, so it is a fixed
    /// function of the seed yet unrelated to the node's own stream (a seed plus a constant could meet
    /// another node's seed).
    /// </summary>
    public static int DeriveSeed(int nodeSeed)
    {
        Span<byte> input = stackalloc byte[Purpose.Length + sizeof(int)];
        Purpose.CopyTo(input);
        BinaryPrimitives.WriteInt32LittleEndian(input[Purpose.Length..], nodeSeed);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadInt32LittleEndian(hash);
    }
}
