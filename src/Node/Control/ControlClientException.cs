namespace Overlay.Node.Control;

/// <summary>A control request failed; <see cref="Error"/> says why (for the exit code) and the message is one sentence.</summary>
public sealed class ControlClientException : Exception
{
    public ControlClientException(ControlClientError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public ControlClientException()
    {
    }

    public ControlClientException(string message)
        : base(message)
    {
    }

    public ControlClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ControlClientError Error { get; }

    /// <summary>The daemon's error, when it answered with one.</summary>
    public ControlError DaemonError { get; init; }

    /// <summary>The daemon's whole error reply (with any details beside <c>error</c> and <c>message</c>), when it answered with one.</summary>
    public System.Text.Json.Nodes.JsonObject? Reply { get; init; }
}
