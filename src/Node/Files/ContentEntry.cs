namespace Overlay.Node.Files;

/// <summary>
/// One content id this node knows: a file (<see cref="Manifest"/>) or a directory (<see cref="Directory"/>;
/// exactly one of the two is set), whether this node stored it, whether it is pinned, and since when.
/// </summary>
public sealed record ContentEntry(string Id, FileManifest? Manifest, DirectoryManifest? Directory, bool StoredHere, bool Pinned, DateTimeOffset AddedAt)
{
    /// <summary>Whether the content is a directory.</summary>
    public bool IsDirectory => Directory is not null;
}
