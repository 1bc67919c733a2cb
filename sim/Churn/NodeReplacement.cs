namespace Overlay.Sim.Churn;

/// <summary>
/// A session ends in a <see cref="ChurnRun"/>: the node crashes and a new node with a new identity takes
/// its slot at once (malicious if the slot is), joins, and, if honest, places its own share of shards.
/// </summary>
internal sealed class NodeReplacement(WholeNodeNetwork whole, ChurnMembership membership, MaliciousNodes malicious, ChurnShards shards)
{
    /// <summary>Shards placed by nodes that took a slot during the run.</summary>
    public int PlacedByJoiners { get; private set; }

    /// <summary>
    /// The node in <paramref name="slot"/> crashes (its connections drop, its loops stop, its memory is
    /// lost); a new node takes the slot at once, joins through a random present node, and, unless the slot
    /// is a dropper's, places <paramref name="count"/> shards of its own while it holds the slot.
    /// </summary>
    public async Task ReplaceAsync(int slot, int count)
    {
        var generation = membership.Replace(slot);
        malicious.Took(slot);
        membership.Joined(slot);
        var node = whole.Nodes[slot];
        await node.StartAsync(CancellationToken.None);
        await node.Dht.WhenJoined;
        for (var k = 0; k < count && !malicious.IsDropperSlot(slot) && membership.Generation(slot) == generation; k++)
        {
            await shards.PlaceAsync(slot);
            PlacedByJoiners++;
        }
    }
}
