using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's probe of one holder (docs/PROTOCOL.md, "Owner maintenance"): one batched <c>shard/1</c> Probe per
/// <see cref="ShardProbeCodec.MaxIds"/> shards, or the zero-length fetch a holder that predates the operation gets.
/// Takes no shard lock: it reads nothing of the owner's book and changes nothing in it.
/// </summary>
internal sealed class HolderProbe(
    ShardExchangeClient client, Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect, ShardExchangeMetrics metrics, TimeProvider time,
    Action<PeerId, ShardId, HolderVerdict, long> observe)
{
    private readonly ShardExchangeClient _client = client;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect = connect;
    private readonly ShardExchangeMetrics _metrics = metrics;
    private readonly TimeProvider _time = time;
    private readonly Action<PeerId, ShardId, HolderVerdict, long> _observe = observe;

    /// <summary>
    /// Asks <paramref name="holder"/> in one batched probe whether it still keeps each of <paramref name="shards"/>
    /// (ids ascending, with the size each should have; one stream per <see cref="ShardProbeCodec.MaxIds"/> of them).
    /// Spends no challenge and moves no shard bytes. A holder that predates the batch refuses it as an unknown
    /// operation and is probed the old way: one zero-length fetch of the first shard. One outcome is published per
    /// probe round of a holder, naming the first shard lost (else the first asked).
    /// </summary>
    public async Task<ProbeResult> ProbeAsync(PeerId holder, TransportAddress address, IReadOnlyList<(ShardId Id, int Size)> shards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var started = _time.GetTimestamp();
        var lost = new List<(ShardId, HolderVerdict)>();
        ITransportConnection? used = null;
        var reached = shards.Count == 0 ? HolderVerdict.Passed : await OwnedShardCare.AttemptAsync(async () =>
        {
            var connection = used = await _connect(address, cancellationToken);
            var verdict = HolderVerdict.Passed;
            for (var start = 0; start < shards.Count; start += ShardProbeCodec.MaxIds)
            {
                var ids = new ShardId[Math.Min(ShardProbeCodec.MaxIds, shards.Count - start)];
                for (var i = 0; i < ids.Length; i++)
                {
                    ids[i] = shards[start + i].Id;
                }

                int[] sizes;
                try
                {
                    _metrics.ProbeSent(batch: true);
                    sizes = await _client.ProbeAsync(connection, ids, cancellationToken);
                }
                catch (ShardExchangeException e) when (e.Refusal == ShardRefusal.Malformed)
                {
                    // Operation 6 is unknown to a holder that predates it, which refuses it Malformed as any unknown operation.
                    return await ProbeOneAsync(connection, shards[start], lost, cancellationToken);
                }
                catch (ShardExchangeException e) when (e.WireError != ShardWireError.None)
                {
                    _metrics.ProbeAnswerRejected(e.WireError);
                    foreach (var id in ids)
                    {
                        lost.Add((id, HolderVerdict.Wrong));
                    }

                    verdict = HolderVerdict.Wrong;
                    continue;
                }

                for (var i = 0; i < ids.Length; i++)
                {
                    if (sizes[i] != shards[start + i].Size)
                    {
                        lost.Add((ids[i], sizes[i] < 0 ? HolderVerdict.Missing : HolderVerdict.Wrong));
                    }
                }
            }

            return verdict;
        }, cancellationToken);
        var named = lost.Count > 0 ? lost[0].Item1 : shards.Count > 0 ? shards[0].Id : default;
        _observe(holder, named, reached == HolderVerdict.Passed && lost.Count > 0 ? lost[0].Item2 : reached, started);
        return new ProbeResult(reached, lost, used);
    }

    /// <summary>The probe of a holder that predates the batched one: zero bytes of one shard.</summary>
    private async Task<HolderVerdict> ProbeOneAsync(ITransportConnection connection, (ShardId Id, int Size) shard, List<(ShardId, HolderVerdict)> lost, CancellationToken cancellationToken)
    {
        _metrics.ProbeSent(batch: false);
        try
        {
            var whole = await _client.FetchAsync(connection, shard.Id, 0, 0, Memory<byte>.Empty, null, cancellationToken);
            if (whole != shard.Size)
            {
                lost.Add((shard.Id, HolderVerdict.Wrong));
            }
        }
        catch (ShardExchangeException e) when (e.Refusal is ShardRefusal.NotFound or ShardRefusal.Mismatch or ShardRefusal.Size)
        {
            lost.Add((shard.Id, e.Refusal == ShardRefusal.NotFound ? HolderVerdict.Missing : HolderVerdict.Wrong));
        }

        return HolderVerdict.Passed;
    }
}
