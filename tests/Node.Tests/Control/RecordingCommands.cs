using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Tests.Control;

/// <summary>Control commands that record what reached them and answer from a script: echo by default.</summary>
public sealed class RecordingCommands : IControlCommands
{
    public List<ControlRequest> Received { get; } = [];

    public Func<ControlRequest, ControlReply>? Answer { get; set; }

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        lock (Received)
        {
            Received.Add(request);
        }

        if (Answer is { } answer)
        {
            return Task.FromResult(answer(request));
        }

        return Task.FromResult(ControlReply.Ok(new JsonObject
        {
            ["command"] = request.Command,
            ["key"] = request.Key,
            ["bytes"] = request.Value?.Length,
        }));
    }
}
