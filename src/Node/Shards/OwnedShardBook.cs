using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's durable record of its shards (<see cref="DirectoryName"/> in the data directory): one
/// JSON file per shard, named by its id, holding its holders' receipts, their unspent audit challenges,
/// their last audit and probation. Written to a temporary file, flushed to disk, then renamed over the old one,
/// so a crash leaves the previous or the new state; files are 0600 (the expected answers are secrets
/// until spent). A file that does not parse is reported with its path, never silently replaced.
/// </summary>
public sealed class OwnedShardBook : IOwnedShardBook
{
    /// <summary>The folder in the data directory.</summary>
    public const string DirectoryName = "owned-shards";

    private const int FormatVersion = 1;
    private const long MaxFileBytes = 16 << 20;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly string _directory;

    /// <summary>A book in <paramref name="directory"/> (created when first written).</summary>
    public OwnedShardBook(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
    }

    /// <summary>The folder of the files.</summary>
    public string Directory => _directory;

    /// <summary>The record of <paramref name="id"/>, or null when this node never placed it.</summary>
    /// <exception cref="ShardBookException">The file exists but cannot be read or does not parse.</exception>
    public OwnedShard? Load(ShardId id)
    {
        var path = PathOf(id);
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            if (new FileInfo(path).Length > MaxFileBytes)
            {
                throw new ShardBookException($"{path} is larger than {MaxFileBytes} bytes; this node writes far smaller files.");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShardBookException($"Cannot read {path}: {e.Message}", e);
        }

        try
        {
            return Parse(bytes, id);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or NullReferenceException)
        {
            throw new ShardBookException($"{path} is damaged ({e.Message}); move it away to place the shard again.", e);
        }
    }

    /// <summary>Writes the record durably (temporary file, fsync, rename).</summary>
    /// <exception cref="ShardBookException">The file could not be written.</exception>
    public void Save(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var path = PathOf(shard.Id);
        try
        {
            DurableFile.Write(path, Serialize(shard));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShardBookException($"Cannot write {path}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<ShardId> Ids()
    {
        try
        {
            if (!System.IO.Directory.Exists(_directory))
            {
                return [];
            }

            var ids = new List<ShardId>();
            foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*.json"))
            {
                if (ShardId.TryParse(Path.GetFileNameWithoutExtension(path), out var id))
                {
                    ids.Add(id);
                }
            }

            return ids;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShardBookException($"Cannot list {_directory}: {e.Message}", e);
        }
    }

    /// <summary>The record's encoding (indented JSON, UTF-8), as the file holds it.</summary>
    internal static byte[] Serialize(OwnedShard shard) => Encoding.UTF8.GetBytes(ToJson(shard).ToJsonString(Indented));

    private string PathOf(ShardId id) => Path.Combine(_directory, id.ToString() + ".json");

    private static JsonObject ToJson(OwnedShard shard)
    {
        var holders = new JsonArray();
        foreach (var h in shard.Holders)
        {
            var challenges = new JsonArray();
            foreach (var c in h.Challenges)
            {
                challenges.Add((JsonNode)new JsonObject { ["nonce"] = Convert.ToBase64String(c.Nonce), ["answer"] = Convert.ToBase64String(c.Answer) });
            }

            holders.Add((JsonNode)new JsonObject
            {
                ["peer"] = h.Peer.ToString(),
                ["address"] = h.Address,
                ["receipt"] = Convert.ToBase64String(h.Receipt),
                ["challenges"] = challenges,
                ["lastAuditAt"] = h.LastAuditAt?.ToString("O", CultureInfo.InvariantCulture),
                ["lastAuditPassed"] = h.LastAuditPassed,
                ["lastAuditDetail"] = h.LastAuditDetail,
                ["receivedAt"] = h.ReceivedAt?.ToString("O", CultureInfo.InvariantCulture),
                ["vetted"] = h.Vetted,
            });
        }

        return new JsonObject
        {
            ["version"] = FormatVersion,
            ["id"] = shard.Id.ToString(),
            ["size"] = shard.Size,
            ["ownerCopy"] = shard.OwnerCopy,
            ["holders"] = holders,
        };
    }

    /// <summary>Decodes a record written by <see cref="Serialize"/>; throws on damage (the caller names the file).</summary>
    internal static OwnedShard Parse(byte[] bytes, ShardId expected)
    {
        var root = JsonNode.Parse(bytes)!.AsObject();
        if (root["version"]!.GetValue<int>() != FormatVersion)
        {
            throw new FormatException($"format version {root["version"]} is not {FormatVersion}");
        }

        if (!ShardId.TryParse(root["id"]!.GetValue<string>(), out var id) || id != expected)
        {
            throw new FormatException("it names another shard than its file name");
        }

        var shard = new OwnedShard(id, root["size"]!.GetValue<int>()) { OwnerCopy = root["ownerCopy"]?.GetValue<bool>() ?? false };
        foreach (var node in root["holders"]!.AsArray())
        {
            var h = node!.AsObject();
            var holding = new ShardHolding
            {
                Peer = PeerId.Parse(h["peer"]!.GetValue<string>()),
                Address = h["address"]!.GetValue<string>(),
                Receipt = Convert.FromBase64String(h["receipt"]!.GetValue<string>()),
                LastAuditAt = h["lastAuditAt"]?.GetValue<string>() is { } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : null,
                LastAuditPassed = h["lastAuditPassed"]?.GetValue<bool>(),
                LastAuditDetail = h["lastAuditDetail"]?.GetValue<string>(),
                ReceivedAt = h["receivedAt"]?.GetValue<string>() is { } received ? DateTimeOffset.Parse(received, CultureInfo.InvariantCulture) : null,
                // A record written before probation names no receipt time and claims nothing: its holders count as vetted.
                Vetted = h["vetted"]?.GetValue<bool>() ?? true,
            };
            foreach (var c in h["challenges"]!.AsArray())
            {
                var nonce = Convert.FromBase64String(c!["nonce"]!.GetValue<string>());
                var answer = Convert.FromBase64String(c["answer"]!.GetValue<string>());
                if (nonce.Length != ShardCodec.NonceBytes || answer.Length != ShardCodec.NonceBytes)
                {
                    throw new FormatException("an audit challenge is not 32 + 32 bytes");
                }

                holding.Challenges.Add(new AuditChallenge(nonce, answer));
            }

            shard.Holders.Add(holding);
        }

        return shard;
    }
}
