using Overlay.Node.Composition;

namespace Overlay.Sim.Churn;

/// <summary>The repairs present owners ended during a <see cref="ChurnRun"/>, the new holders they found and the shard bytes those copied.</summary>
internal sealed class ChurnRepairs
{
    public int Repairs { get; private set; }

    public int NewHolders { get; private set; }

    public long RepairBytes { get; private set; }

    /// <summary>Counts each repair <paramref name="node"/> ends while <paramref name="counts"/> holds.</summary>
    public void Watch(OverlayNode node, Func<bool> counts) =>
        node.ShardMaintenance.RepairObserved = r =>
        {
            if (counts())
            {
                Repairs++;
                NewHolders += r.Result.Added;
                RepairBytes += r.Result.BytesMoved;
            }
        };
}
