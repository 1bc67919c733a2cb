using System.Security.Cryptography;
using System.Text;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// The audit scheme of <c>shard/1</c> (docs/PROTOCOL.md, "Audits"): the answer to a challenge is the
/// BLAKE3 keyed hash, keyed by a fresh 32-byte nonce, of "overlay/shard/audit", the shard id and every
/// byte of the shard. The owner computes the answers to a few unrevealed nonces while it still has the
/// bytes (at store time), keeps them, and spends one per audit.
/// </summary>
public static class ShardAudit
{
    private static readonly byte[] Context = Encoding.ASCII.GetBytes("overlay/shard/audit");

    // A pass of sixteen lanes costs about what eight keys hashed one by one do (docs/BENCHMARKS.md,
    // "Where a GiB store's time goes"): fewer keys than that are hashed one by one.
    private const int KeysWorthALanePass = 8;

    /// <summary>Writes the answer to <paramref name="nonce"/> (32 bytes) for shard <paramref name="id"/> holding <paramref name="shard"/> into <paramref name="answer"/> (32 bytes).</summary>
    public static void Answer(ReadOnlySpan<byte> nonce, ShardId id, ReadOnlySpan<byte> shard, Span<byte> answer)
    {
        if (nonce.Length != ShardCodec.NonceBytes || answer.Length != ShardCodec.NonceBytes)
        {
            throw new ArgumentException($"Audit nonces and answers are {ShardCodec.NonceBytes} bytes.", nameof(nonce));
        }

        Span<byte> idBytes = stackalloc byte[ShardId.Size];
        id.WriteTo(idBytes);
        var hasher = Blake3Hasher.CreateKeyed(nonce);
        hasher.Update(Context);
        hasher.Update(idBytes);
        hasher.Update(shard);
        hasher.Finalize(answer);
    }

    /// <summary>Draws <paramref name="count"/> nonces from <paramref name="fillNonce"/> and computes their answers for shard <paramref name="id"/> holding <paramref name="shard"/>.</summary>
    /// <remarks>
    /// Eight or more answers are computed together (<see cref="Blake3MultiKey"/>: the shard read once, every
    /// block compressed under sixteen nonces at a time), fewer one by one; each equals <see cref="Answer"/>
    /// under its nonce (docs/BENCHMARKS.md, "Where a GiB store's time goes").
    /// </remarks>
    public static List<AuditChallenge> Prepare(ShardId id, ReadOnlySpan<byte> shard, int count, Action<Span<byte>> fillNonce)
    {
        ArgumentNullException.ThrowIfNull(fillNonce);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var nonces = new byte[count * ShardCodec.NonceBytes];
        for (var i = 0; i < count; i++)
        {
            fillNonce(nonces.AsSpan(i * ShardCodec.NonceBytes, ShardCodec.NonceBytes));
        }

        Span<byte> prefix = stackalloc byte[Context.Length + ShardId.Size];
        Context.CopyTo(prefix);
        id.WriteTo(prefix[Context.Length..]);
        var answers = new byte[nonces.Length];
        if (count < KeysWorthALanePass)
        {
            for (var i = 0; i < count; i++)
            {
                Answer(nonces.AsSpan(i * ShardCodec.NonceBytes, ShardCodec.NonceBytes), id, shard, answers.AsSpan(i * ShardCodec.NonceBytes, ShardCodec.NonceBytes));
            }
        }
        else
        {
            Blake3MultiKey.KeyedHashes(nonces, prefix, shard, answers);
        }

        var challenges = new List<AuditChallenge>(count);
        for (var i = 0; i < count; i++)
        {
            challenges.Add(new AuditChallenge(nonces.AsSpan(i * ShardCodec.NonceBytes, ShardCodec.NonceBytes).ToArray(), answers.AsSpan(i * ShardCodec.NonceBytes, ShardCodec.NonceBytes).ToArray()));
        }

        return challenges;
    }

    /// <summary>Whether a holder's answer equals the expected one, compared in constant time (the expected answer is the owner's secret until spent).</summary>
    public static bool Matches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> answer) =>
        expected.Length == ShardCodec.NonceBytes && CryptographicOperations.FixedTimeEquals(expected, answer);
}
