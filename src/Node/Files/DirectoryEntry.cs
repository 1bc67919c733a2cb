using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// One file of a stored directory (docs/FILES.md, "Directories"): its path relative to the directory
/// ('/'-separated components, none empty, "." or ".."), the content id of the file's own manifest, its
/// size in bytes, and whether its owner may execute it (the one permission bit kept).
/// </summary>
public sealed record DirectoryEntry(string Path, ShardId ContentId, long Size, bool Executable);
