using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Sim.Churn;

/// <summary>
/// The shards a <see cref="ChurnRun"/> places: each one's owner (slot and generation), the placements that
/// failed, and where the shards placed while counted found their holders. All on the network's one scheduler: no locks.
/// </summary>
internal sealed class ChurnShards(ChurnSettings settings, WholeNodeNetwork whole, ChurnMembership membership, MaliciousNodes malicious, Random random)
{
    /// <summary>Every shard placed: its id, and the slot and generation of the node that owns it.</summary>
    public List<(ShardId Id, int Slot, int Generation)> Tracked { get; } = [];

    public int FailedPlacements { get; private set; }

    /// <summary>Holders of the shards placed at samples while counted (<see cref="PlaceMeasuredAsync"/>), on malicious nodes, and on those of them that drop.</summary>
    public (int Holders, int OnMalicious, int OnDroppers) Measured { get; private set; }

    /// <summary>A random slot whose node is present, joined and honest.</summary>
    public int RandomHonestSlot() => membership.RandomJoinedSlot(slot => !malicious.IsDropperSlot(slot));

    /// <summary>Places <paramref name="count"/> shards from random honest owners; when <paramref name="counted"/>, counts where their holders are.</summary>
    public async Task PlaceMeasuredAsync(int count, bool counted)
    {
        var puts = new List<Task<PutOutcome?>>();
        for (var k = 0; k < count; k++)
        {
            puts.Add(PlaceAsync(RandomHonestSlot()));
        }

        foreach (var put in await Task.WhenAll(puts))
        {
            if (!counted || put is null)
            {
                continue;
            }

            var (holders, onMalicious, onDroppers) = Measured;
            foreach (var holder in put.Holders)
            {
                holders++;
                if (malicious.IsMalicious(holder.Peer))
                {
                    onMalicious++;
                    onDroppers += malicious.Deletes(holder.Peer) ? 1 : 0;
                }
            }

            Measured = (holders, onMalicious, onDroppers);
        }
    }

    /// <summary>Places one shard of fresh random bytes from slot <paramref name="slot"/>'s node.</summary>
    public async Task<PutOutcome?> PlaceAsync(int slot)
    {
        var generation = membership.Generation(slot);
        var data = new byte[settings.ShardBytes];
        random.NextBytes(data);
        try
        {
            var outcome = await whole.Nodes[slot].ShardExchange.Owner!.PutAsync(data, CancellationToken.None);
            Tracked.Add((outcome.Id, slot, generation));
            return outcome;
        }
        catch (ShardExchangeException)
        {
            FailedPlacements++;
            return null;
        }
    }
}
