using Microsoft.Extensions.Logging;

namespace Overlay.Node.Hosting;

/// <summary>Node log messages (EventIds 5000–5999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Node {PeerId} starting; data directory {DataDirectory}")]
    public static partial void Starting(ILogger logger, string peerId, string dataDirectory);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Created a new identity {PeerId} in {KeyFile}")]
    public static partial void IdentityCreated(ILogger logger, string peerId, string keyFile);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Config key '{Key}' is not a setting of this node and is ignored")]
    public static partial void UnknownConfigKey(ILogger logger, string key);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Node {PeerId} running")]
    public static partial void Running(ILogger logger, string peerId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Node {PeerId} stopping")]
    public static partial void Stopping(ILogger logger, string peerId);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Started {Component}: {Detail}")]
    public static partial void ComponentStarted(ILogger logger, string component, string detail);

    // Warning rather than Information: the PeerId is the node's name, and peers or operators that pinned
    // the old one must be told of the new one.
    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning,
        Message = "Migrated identity key file {KeyFile} to hybrid Ed25519+ML-DSA-65; the PeerId changed from {OldPeerId} to {PeerId}")]
    public static partial void IdentityMigrated(ILogger logger, string keyFile, string oldPeerId, string peerId);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Connected to {PeerId} at {Address} ({Direction})")]
    public static partial void PeerConnected(ILogger logger, Overlay.Crypto.PeerId peerId, Overlay.Transport.TransportAddress address, string direction);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Bootstrap peer {Address} unreachable: {Reason}; retrying in {DelaySeconds} s")]
    public static partial void BootstrapFailed(ILogger logger, Overlay.Transport.TransportAddress address, string reason, double delaySeconds);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "Inbound connection failed ({Reason}): {Detail}")]
    public static partial void AcceptFailed(ILogger logger, Overlay.Transport.TransportError reason, string detail);
}
