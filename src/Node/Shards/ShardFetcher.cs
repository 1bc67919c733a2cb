using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// Fetches a whole shard from a list of holders and verifies it against its id, never trusting one:
/// the bytes are hashed as they arrive, and when a holder fails mid-way (a reset, a stall, a refusal)
/// the next one is asked from the offset reached, so nothing already received is fetched twice. Bytes
/// that do not hash to the id are thrown away and fetched again, whole, from the next holder.
/// </summary>
public sealed class ShardFetcher(ShardExchangeClient client, Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect, int maxShardBytes)
{
    /// <summary>The shard's bytes, verified; the attempts say how each holder asked did.</summary>
    /// <exception cref="ShardExchangeException">No holder gave the shard (NotFound, with every attempt in the message and in <see cref="ShardExchangeException.Attempts"/>).</exception>
    public async Task<(byte[] Data, IReadOnlyList<HolderAttempt> Attempts)> FetchAsync(ShardId id, IEnumerable<HolderCandidate> holders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holders);
        var attempts = new List<HolderAttempt>();
        var hasher = Blake3Hasher.Create();
        byte[]? shard = null;
        var digest = new byte[ShardId.Size];
        var have = 0;
        foreach (var holder in holders)
        {
            try
            {
                var connection = await connect(holder.Address, cancellationToken);
                var size = await client.FetchAsync(connection, id, have, ShardCodec.ToEnd, announced =>
                {
                    // One buffer of the shard's own size, filled in place and returned as it is: no
                    // buffer of the largest shard, no copy. A holder that states another size than the
                    // one the bytes so far came with gets nothing (Size); the next one starts over.
                    if (announced > maxShardBytes || (shard is not null && shard.Length != announced))
                    {
                        (shard, hasher, have) = (null, Blake3Hasher.Create(), 0);
                        return Memory<byte>.Empty;
                    }

                    shard ??= GC.AllocateUninitializedArray<byte>(announced);
                    return shard.AsMemory(have);
                }, piece =>
                {
                    hasher.Update(piece.Span);
                    have += piece.Length;
                }, cancellationToken);
                hasher.Finalize(digest);
                if (shard is not null && have == size && ShardId.FromBytes(digest) == id)
                {
                    attempts.Add(new HolderAttempt(holder.Peer, ShardRefusal.None, "sent the shard"));
                    return (shard, attempts);
                }

                // Which holder lied is unknown when the bytes came from several: start over with the next.
                (shard, hasher, have) = (null, Blake3Hasher.Create(), 0);
                throw new ShardExchangeException(ShardRefusal.Mismatch, $"the {size} bytes received do not hash to the shard id");
            }
            catch (ShardExchangeException e)
            {
                attempts.Add(new HolderAttempt(holder.Peer, e.Refusal, e.Message));
            }
            catch (TransportException e)
            {
                attempts.Add(new HolderAttempt(holder.Peer, ShardRefusal.Failed, e.Message));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                attempts.Add(new HolderAttempt(holder.Peer, ShardRefusal.Failed, "timed out"));
            }
        }

        var detail = attempts.Count == 0 ? "no holder is known" : string.Join("; ", attempts.Select(a => $"{a.Peer.ToShortString()}: {a.Detail}"));
        throw new ShardExchangeException(ShardRefusal.NotFound, $"No holder gave shard {id} ({detail}).") { Attempts = attempts };
    }
}
