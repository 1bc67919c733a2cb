using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// The node's durable list of content (<see cref="DirectoryName"/> in the data directory): for each
/// content id, its manifest (<c>ID.manifest</c>, the signed bytes) and its state (<c>ID.json</c>: stored
/// here or not, pinned or not). Pinned content is what renewal and repair keep alive:
/// <see cref="IsPinnedShard"/> answers whether a shard belongs to any of it, <see cref="Retains"/> whether
/// the owner's maintenance keeps a shard alive. Files are written to a temporary file, flushed and renamed;
/// a file that does not parse is reported with its path.
/// </summary>
public sealed class ContentBook
{
    /// <summary>The folder in the data directory.</summary>
    public const string DirectoryName = "content";

    private const int FormatVersion = 1;
    private const long MaxStateBytes = 64 << 10;

    private readonly string _directory;
    private readonly object _lock = new();
    private (HashSet<ShardId> Pinned, HashSet<ShardId> All)? _shards;

    /// <summary>A book in <paramref name="directory"/> (created when first written).</summary>
    public ContentBook(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
    }

    /// <summary>Records a file (pinned when <paramref name="pinned"/>); an entry already there keeps its time and becomes stored-here if this is.</summary>
    /// <exception cref="ContentBookException">The files cannot be written.</exception>
    public ContentEntry Add(ShardId id, FileManifest manifest, bool storedHere, bool pinned, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Add(id, ManifestCodec.Encode(manifest), manifest, null, storedHere, pinned, now);
    }

    /// <summary>Records a directory, as <see cref="Add(ShardId, FileManifest, bool, bool, DateTimeOffset)"/> a file; its files are entries of their own.</summary>
    /// <exception cref="ContentBookException">The files cannot be written.</exception>
    public ContentEntry Add(ShardId id, DirectoryManifest directory, bool storedHere, bool pinned, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return Add(id, DirectoryManifestCodec.Encode(directory), null, directory, storedHere, pinned, now);
    }

    /// <summary>Sets the pin of known content; false when the id is not in the book.</summary>
    /// <exception cref="ContentBookException">A file cannot be read or written.</exception>
    public bool SetPinned(ShardId id, bool pinned)
    {
        lock (_lock)
        {
            if (Load(id) is not { } entry)
            {
                return false;
            }

            WriteState(entry with { Pinned = pinned });
            _shards = null;
            return true;
        }
    }

    /// <summary>The entry of <paramref name="id"/>, or null.</summary>
    /// <exception cref="ContentBookException">A file exists but cannot be read or is damaged.</exception>
    public ContentEntry? Load(ShardId id)
    {
        var statePath = PathOf(id, ".json");
        var manifestPath = PathOf(id, ".manifest");
        try
        {
            if (!File.Exists(statePath) || !File.Exists(manifestPath))
            {
                return null;
            }

            if (new FileInfo(statePath).Length > MaxStateBytes || new FileInfo(manifestPath).Length > ManifestCodec.MaxEncodedBytes)
            {
                throw new ContentBookException($"{statePath} or its manifest is larger than this node writes; move them away.");
            }

            var manifestBytes = File.ReadAllBytes(manifestPath);
            FileManifest? manifest = null;
            DirectoryManifest? directory = null;
            var valid = ManifestCodec.KindOf(manifestBytes) == ManifestCodec.DirectoryKind
                ? DirectoryManifestCodec.TryDecode(manifestBytes, out directory, out _)
                : ManifestCodec.TryDecode(manifestBytes, out manifest, out _);
            if (ShardId.Compute(manifestBytes) != id || !valid)
            {
                throw new ContentBookException($"{manifestPath} is damaged (it does not hash to its name or does not verify); move it away.");
            }

            var state = JsonNode.Parse(File.ReadAllBytes(statePath))!.AsObject();
            if (state["version"]!.GetValue<int>() != FormatVersion || state["id"]!.GetValue<string>() != id.ToString())
            {
                throw new ContentBookException($"{statePath} is of another version or names another id; move it away.");
            }

            return new ContentEntry(id.ToString(), manifest, directory, state["storedHere"]!.GetValue<bool>(), state["pinned"]!.GetValue<bool>(),
                DateTimeOffset.Parse(state["addedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContentBookException($"Cannot read {statePath}: {e.Message}", e);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new ContentBookException($"{statePath} is damaged ({e.Message}); move it away.", e);
        }
    }

    /// <summary>Every entry, oldest first.</summary>
    /// <exception cref="ContentBookException">A file cannot be read or is damaged.</exception>
    public IReadOnlyList<ContentEntry> List()
    {
        if (!Directory.Exists(_directory))
        {
            return [];
        }

        var entries = new List<ContentEntry>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*.json"))
        {
            if (ShardId.TryParse(Path.GetFileNameWithoutExtension(path), out var id) && Load(id) is { } entry)
            {
                entries.Add(entry);
            }
        }

        entries.Sort((a, b) => a.AddedAt.CompareTo(b.AddedAt));
        return entries;
    }

    /// <summary>
    /// Whether <paramref name="shard"/> is a shard (or the manifest) of pinned content: renewal and repair
    /// keep such shards alive, and let the others expire.
    /// </summary>
    /// <exception cref="ContentBookException">A file cannot be read or is damaged.</exception>
    public bool IsPinnedShard(ShardId shard) => Shards().Pinned.Contains(shard);

    /// <summary>
    /// The owner's retention rule: a shard is kept (renewed and repaired) unless it belongs only to content
    /// that is unpinned. Shards placed outside the file layer (<c>overlay shard put</c>) are always kept.
    /// </summary>
    /// <exception cref="ContentBookException">A file cannot be read or is damaged.</exception>
    public bool Retains(ShardId shard)
    {
        var (pinned, all) = Shards();
        return pinned.Contains(shard) || !all.Contains(shard);
    }

    private ContentEntry Add(ShardId id, byte[] encoded, FileManifest? manifest, DirectoryManifest? directory, bool storedHere, bool pinned, DateTimeOffset now)
    {
        lock (_lock)
        {
            var existing = Load(id);
            var entry = new ContentEntry(id.ToString(), manifest, directory, storedHere || existing?.StoredHere == true, pinned || existing?.Pinned == true, existing?.AddedAt ?? now);
            Write(PathOf(id, ".manifest"), encoded);
            WriteState(entry);
            _shards = null;
            return entry;
        }
    }

    private (HashSet<ShardId> Pinned, HashSet<ShardId> All) Shards()
    {
        lock (_lock)
        {
            if (_shards is not { } shards)
            {
                var pinned = new HashSet<ShardId>();
                var all = new HashSet<ShardId>();
                foreach (var entry in List())
                {
                    var set = entry.Pinned ? pinned : all;
                    set.Add(ShardId.Parse(entry.Id));
                    // A directory's files are entries of their own, pinned with it (FileControlCommands).
                    set.UnionWith(entry.Manifest?.Shards ?? []);
                }

                all.UnionWith(pinned);
                shards = (pinned, all);
                _shards = shards;
            }

            return shards;
        }
    }

    private void WriteState(ContentEntry entry)
    {
        var json = new JsonObject
        {
            ["version"] = FormatVersion,
            ["id"] = entry.Id,
            ["storedHere"] = entry.StoredHere,
            ["pinned"] = entry.Pinned,
            ["addedAt"] = entry.AddedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        Write(PathOf(ShardId.Parse(entry.Id), ".json"), Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static void Write(string path, byte[] bytes)
    {
        try
        {
            DurableFile.Write(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContentBookException($"Cannot write {path}: {e.Message}", e);
        }
    }

    private string PathOf(ShardId id, string extension) => Path.Combine(_directory, id.ToString() + extension);
}
