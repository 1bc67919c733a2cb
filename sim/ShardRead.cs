namespace Overlay.Sim;

/// <summary>One shard's read-back in a <see cref="RepairRun"/>; times are virtual, from the end of the window after the kill.</summary>
/// <param name="Reader">The live node, not the shard's owner, that read it.</param>
/// <param name="OwnerAlive">Whether the shard's owner survived the kill.</param>
/// <param name="FullyReplicated">Whether the owner survived and its book named r live holders when the read started.</param>
/// <param name="Retrieved">Whether the read gave the shard's bytes.</param>
/// <param name="Started">When the read started.</param>
/// <param name="Locate">The provider lookup (zero when the reader holds the shard).</param>
/// <param name="Fetch">The fetch from the holders found, after the lookup.</param>
/// <param name="FailedHolders">Holders asked that did not give the shard.</param>
internal sealed record ShardRead(int Reader, bool OwnerAlive, bool FullyReplicated, bool Retrieved, TimeSpan Started, TimeSpan Locate, TimeSpan Fetch, int FailedHolders);
