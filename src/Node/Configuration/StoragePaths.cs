using Overlay.Storage;

namespace Overlay.Node.Configuration;

/// <summary>Places the shard store inside the node's data directory unless an absolute path is configured.</summary>
public static class StoragePaths
{
    public static void Resolve(StorageOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Directory) && !Path.IsPathRooted(options.Directory))
        {
            options.Directory = Path.Combine(dataDirectory, options.Directory);
        }
    }
}
