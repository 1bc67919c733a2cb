using System.Text.Json.Nodes;

namespace Overlay.Node.Files;

/// <summary>One store or fetch running in the daemon, watched by the CLI through its id.</summary>
public sealed class FileOperation
{
    internal FileOperation(string id, string kind, DateTimeOffset startedAt, CancellationTokenSource cancellation)
    {
        Id = id;
        Kind = kind;
        StartedAt = startedAt;
        Cancellation = cancellation;
    }

    /// <summary>The id the CLI polls with.</summary>
    public string Id { get; }

    /// <summary>"store" or "fetch".</summary>
    public string Kind { get; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>When it ended (done, failed or cancelled); null while it runs.</summary>
    public DateTimeOffset? FinishedAt { get; internal set; }

    /// <summary>Its counters, live.</summary>
    public TransferProgress Progress { get; } = new();

    /// <summary>The result: a reply body on success; faults with the operation's exception.</summary>
    public Task<JsonObject> Completion { get; internal set; } = Task.FromResult(new JsonObject());

    internal CancellationTokenSource Cancellation { get; }
}
