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
    /// <exception cref="ShardExchangeException">No holder gave the shard (NotFound, with every attempt in the message).</exception>
    public async Task<(byte[] Data, IReadOnlyList<HolderAttempt> Attempts)> FetchAsync(ShardId id, IEnumerable<HolderCandidate> holders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holders);
        var attempts = new List<HolderAttempt>();
        var hasher = Blake3Hasher.Create();
        byte[]? buffer = null;
        var digest = new byte[ShardId.Size];
        var have = 0;
        foreach (var holder in holders)
        {
            try
            {
                var connection = await connect(holder.Address, cancellationToken);
                buffer ??= new byte[maxShardBytes];
                var size = await client.FetchAsync(connection, id, have, ShardCodec.ToEnd, buffer.AsMemory(have), piece =>
                {
                    hasher.Update(piece.Span);
                    have += piece.Length;
                }, cancellationToken);
                hasher.Finalize(digest);
                if (have == size && ShardId.FromBytes(digest) == id)
                {
                    attempts.Add(new HolderAttempt(holder.Peer, ShardRefusal.None, "sent the shard"));
                    return (buffer.AsSpan(0, size).ToArray(), attempts);
                }

                // Which holder lied is unknown when the bytes came from several: start over with the next.
                (hasher, have) = (Blake3Hasher.Create(), 0);
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
        throw new ShardExchangeException(ShardRefusal.NotFound, $"No holder gave shard {id} ({detail}).");
    }
}
