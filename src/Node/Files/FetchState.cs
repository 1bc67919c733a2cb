using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// The sidecar of a partial fetch (<c>DEST.overlay-part.state</c>, beside the partial file): which
/// content and range the partial file holds and which stripes of it are written. A fetch resumes only
/// when the sidecar names the same content and range; the stripes it lists are checked against the
/// manifest's shard ids before they are trusted, so a partial file changed on disk is caught.
/// </summary>
public sealed class FetchState
{
    private const int FormatVersion = 1;
    private const long MaxBytes = 16 << 20;

    /// <summary>A fresh state for <paramref name="contentId"/> and the byte range <paramref name="first"/>–<paramref name="last"/> (inclusive).</summary>
    public FetchState(ShardId contentId, long first, long last)
    {
        ContentId = contentId;
        First = first;
        Last = last;
    }

    /// <summary>The content the partial file belongs to.</summary>
    public ShardId ContentId { get; }

    /// <summary>First byte of the file fetched.</summary>
    public long First { get; }

    /// <summary>Last byte of the file fetched (inclusive).</summary>
    public long Last { get; }

    /// <summary>Stripes written to the partial file.</summary>
    public SortedSet<int> Done { get; } = [];

    /// <summary>The state in <paramref name="path"/>, or null when it is missing or unreadable (the fetch then starts over).</summary>
    public static FetchState? TryLoad(string path)
    {
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > MaxBytes)
            {
                return null;
            }

            var json = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
            if (json["version"]!.GetValue<int>() != FormatVersion || !ShardId.TryParse(json["contentId"]!.GetValue<string>(), out var id))
            {
                return null;
            }

            var state = new FetchState(id, json["first"]!.GetValue<long>(), json["last"]!.GetValue<long>());
            foreach (var stripe in json["done"]!.AsArray())
            {
                state.Done.Add(stripe!.GetValue<int>());
            }

            return state;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            // A damaged sidecar costs a refetch, never a wrong file: the partial file is not trusted without it.
            return null;
        }
    }

    /// <summary>Writes the state (temporary file and rename; not flushed: a lost update costs a refetch, and every listed stripe is checked on resume).</summary>
    /// <exception cref="IOException">It could not be written.</exception>
    public void Save(string path)
    {
        var done = new JsonArray();
        foreach (var stripe in Done)
        {
            done.Add((JsonNode)JsonValue.Create(stripe));
        }

        var json = new JsonObject { ["version"] = FormatVersion, ["contentId"] = ContentId.ToString(), ["first"] = First, ["last"] = Last, ["done"] = done };
        DurableFile.Write(path, Encoding.UTF8.GetBytes(json.ToJsonString()), flushToDisk: false);
    }
}
