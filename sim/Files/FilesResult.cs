namespace Overlay.Sim.Files;

/// <summary>One file's figures in a <see cref="FilesRun"/>; times are virtual.</summary>
/// <param name="Bytes">The file's size.</param>
/// <param name="Stripes">Its stripes.</param>
/// <param name="Holders">Distinct peers holding its shards.</param>
/// <param name="Store">From the store's start to its content id.</param>
/// <param name="Fetch">A fetch by another node, before any kill.</param>
/// <param name="FetchIdentical">Whether that fetch gave the file's bytes.</param>
/// <param name="MostDeadPerStripe">After the kill, the most positions of one stripe whose holders were all dead.</param>
/// <param name="FewestDeadPerStripe">After the kill, the fewest.</param>
/// <param name="FetchAfterKill">A fetch by a third node after the kill; null when it failed.</param>
/// <param name="AfterKillIdentical">Whether that fetch gave the file's bytes.</param>
/// <param name="ShardsFailedAfterKill">Shard requests of that fetch that failed (dead holders).</param>
/// <param name="HedgesAfterKill">Shard requests it added because one was slow.</param>
internal sealed record FileFigures(
    long Bytes, int Stripes, int Holders, TimeSpan Store, TimeSpan Fetch, bool FetchIdentical,
    int MostDeadPerStripe, int FewestDeadPerStripe, TimeSpan? FetchAfterKill, bool AfterKillIdentical, long ShardsFailedAfterKill, long HedgesAfterKill);

/// <summary>What a <see cref="FilesRun"/> measured.</summary>
/// <param name="Files">Each file's figures, in the order stored.</param>
/// <param name="Killed">Nodes killed before the second fetches.</param>
/// <param name="Formation">Virtual time the network took to form.</param>
internal sealed record FilesResult(IReadOnlyList<FileFigures> Files, int Killed, TimeSpan Formation);
