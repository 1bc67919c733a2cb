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

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "The node failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Connected to {PeerId} at {Address} ({Direction})")]
    public static partial void PeerConnected(ILogger logger, Overlay.Crypto.PeerId peerId, Overlay.Transport.TransportAddress address, string direction);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Bootstrap peer {Address} failed: {Reason}; retrying in {DelaySeconds} s")]
    public static partial void BootstrapFailed(ILogger logger, Overlay.Transport.TransportAddress address, string reason, double delaySeconds);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "Inbound connection failed ({Reason}): {Detail}")]
    public static partial void AcceptFailed(ILogger logger, Overlay.Transport.TransportError reason, string detail);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning,
        Message = "Bootstrap peer {Address} pins no PeerId; trusting the identity it proved on first contact, {PeerId}, and remembering it in dht.db. To be sure of it, give the address as {Pinned}")]
    public static partial void BootstrapUnpinnedTrusted(ILogger logger, string address, Overlay.Crypto.PeerId peerId, Overlay.Transport.TransportAddress pinned);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning,
        Message = "Bootstrap peer {Address} pins no PeerId; requiring {PeerId}, the identity it proved on first contact (remembered in dht.db). To be sure of it, give the address as {Pinned}")]
    public static partial void BootstrapUnpinnedRemembered(ILogger logger, string address, Overlay.Crypto.PeerId peerId, Overlay.Transport.TransportAddress pinned);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning,
        Message = "Bootstrap peer {Address} no longer proves {PeerId}, the identity it proved on first contact; not joining through it. If the change is expected, give the address with /p2p/ and the new PeerId")]
    public static partial void BootstrapIdentityChanged(ILogger logger, Overlay.Transport.TransportAddress address, Overlay.Crypto.PeerId peerId);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "DHT joined: {Answered} peers answered, {Contacts} contacts in the routing table")]
    public static partial void DhtJoined(ILogger logger, int answered, int contacts);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "DHT join found no live peer among {Seeds} bootstrap peers and {Saved} saved contacts ({Why}); retrying in {DelaySeconds} s")]
    public static partial void DhtJoinFailed(ILogger logger, int seeds, int saved, string why, double delaySeconds);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "DHT has no bootstrap peers and no saved contacts; it joins when a peer contacts this node")]
    public static partial void DhtWaitingForPeers(ILogger logger);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Information, Message = "Loaded DHT state from {File}: {Contacts} contacts restored, {Records} records kept, {Expired} expired and {Refused} refused records dropped, {CheckedAgain} unsealed records checked again")]
    public static partial void DhtStateLoaded(ILogger logger, string file, int contacts, int records, int expired, int refused, int checkedAgain);

    [LoggerMessage(EventId = 5024, Level = LogLevel.Warning, Message = "DHT state problem ({Reason}): {Detail}")]
    public static partial void DhtStateProblem(ILogger logger, Overlay.Dht.Persistence.DhtStateError reason, string detail);

    [LoggerMessage(EventId = 5025, Level = LogLevel.Warning, Message = "A saved DHT record was refused on load ({Reason})")]
    public static partial void DhtRecordRefused(ILogger logger, Overlay.Dht.Records.RecordRejection reason);

    [LoggerMessage(EventId = 5026, Level = LogLevel.Debug, Message = "Saved DHT contacts to {File}: {Contacts} contacts ({Records} records held, each saved when kept)")]
    public static partial void DhtStateSaved(ILogger logger, string file, int contacts, int records);

    [LoggerMessage(EventId = 5027, Level = LogLevel.Warning, Message = "Saving DHT state failed: {Detail}")]
    public static partial void DhtStateSaveFailed(ILogger logger, string detail);

    [LoggerMessage(EventId = 5029, Level = LogLevel.Error, Message = "DHT join attempt failed unexpectedly")]
    public static partial void DhtJoinError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Control API on {Endpoint}; token in {TokenFile}")]
    public static partial void ControlListening(ILogger logger, string endpoint, string tokenFile);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Debug, Message = "Control request refused ({Reason})")]
    public static partial void ControlRefused(ILogger logger, Overlay.Node.Control.ControlError reason);

    [LoggerMessage(EventId = 5042, Level = LogLevel.Error, Message = "Control command {Command} failed unexpectedly")]
    public static partial void ControlCommandFailed(ILogger logger, string command, Exception exception);

    [LoggerMessage(EventId = 5043, Level = LogLevel.Debug, Message = "Control connection ended: {Detail}")]
    public static partial void ControlConnectionEnded(ILogger logger, string detail);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Debug, Message = "DHT maintenance round failed ({Kind}): {Detail}; retrying next period")]
    public static partial void DhtMaintenanceFailed(ILogger logger, string kind, string detail);

    [LoggerMessage(EventId = 5044, Level = LogLevel.Critical, Message = "A node loop failed; stopping the node")]
    public static partial void NodeLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5050, Level = LogLevel.Information, Message = "Metrics for Prometheus at {Url}")]
    public static partial void MetricsServing(ILogger logger, string url);

    [LoggerMessage(EventId = 5051, Level = LogLevel.Warning, Message = "Metrics endpoint not served: cannot listen on {Listen} ({Detail}); the node runs on without it")]
    public static partial void MetricsUnavailable(ILogger logger, string listen, string detail);

    [LoggerMessage(EventId = 5060, Level = LogLevel.Debug, Message = "shard/1 stream from {Peer} cut off ({Reason})")]
    public static partial void ShardStreamAborted(ILogger logger, Overlay.Crypto.PeerId peer, Overlay.Transport.TransportError reason);

    [LoggerMessage(EventId = 5061, Level = LogLevel.Debug, Message = "shard/1 refused {Peer}: {Refusal} ({Detail})")]
    public static partial void ShardRefused(ILogger logger, Overlay.Crypto.PeerId peer, Overlay.Node.Shards.ShardRefusal refusal, string detail);

    [LoggerMessage(EventId = 5062, Level = LogLevel.Debug, Message = "Keeping shard {Shard} ({Size} bytes) for {Peer}")]
    public static partial void ShardStored(ILogger logger, Overlay.Storage.ShardId shard, int size, Overlay.Crypto.PeerId peer);

    [LoggerMessage(EventId = 5063, Level = LogLevel.Debug, Message = "Holder {Peer} of shard {Shard}: {Outcome}")]
    public static partial void ShardHolderOutcome(ILogger logger, Overlay.Crypto.PeerId peer, Overlay.Storage.ShardId shard, string outcome);

    [LoggerMessage(EventId = 5064, Level = LogLevel.Information, Message = "Serving shard/1: accepting stores {AcceptStores}, {MaxBytesPerPeer} bytes and {MaxShardsPerPeer} shards per peer, {Replicas} replicas per put")]
    public static partial void ShardExchangeStarted(ILogger logger, bool acceptStores, long maxBytesPerPeer, long maxShardsPerPeer, int replicas);

    [LoggerMessage(EventId = 5090, Level = LogLevel.Warning, Message = "No peer could dial {Announced} ({Reasons}); running as a DHT client: peers keep this node out of their routing tables until one can")]
    public static partial void UnreachableRunningAsClient(ILogger logger, string announced, string reasons);

    [LoggerMessage(EventId = 5091, Level = LogLevel.Information, Message = "A peer dialled {Announced} back; running as a DHT server again")]
    public static partial void ReachableAgain(ILogger logger, string announced);

    [LoggerMessage(EventId = 5094, Level = LogLevel.Information, Message = "Peers dialled {Announced} back ({Reasons}); running as a DHT server")]
    public static partial void ReachableServer(ILogger logger, string announced, string reasons);

    [LoggerMessage(EventId = 5092, Level = LogLevel.Debug, Message = "Reachability check failed ({Kind}): {Detail}; retrying soon")]
    public static partial void ReachabilityCheckFailed(ILogger logger, string kind, string detail);

    [LoggerMessage(EventId = 5093, Level = LogLevel.Information, Message = "No peer said whether it can dial {Announced} ({Reasons}); the DHT mode stays as it is and the check is repeated soon")]
    public static partial void ReachabilityUndecided(ILogger logger, string announced, string reasons);

    [LoggerMessage(EventId = 5065, Level = LogLevel.Debug, Message = "Holder {Peer} of shard {Shard} suspected: {Reason}")]
    public static partial void ShardHolderSuspected(ILogger logger, Overlay.Crypto.PeerId peer, Overlay.Storage.ShardId shard, Overlay.Node.Shards.SuspectReason reason);

    [LoggerMessage(EventId = 5066, Level = LogLevel.Debug, Message = "Repair of shard {Shard}: {Added} new holders ({Detail})")]
    public static partial void ShardRepaired(ILogger logger, Overlay.Storage.ShardId shard, int added, string detail);

    [LoggerMessage(EventId = 5097, Level = LogLevel.Warning, Message = "Probation of shard {Shard}: {Detail}")]
    public static partial void ShardProbationProblem(ILogger logger, Overlay.Storage.ShardId shard, string detail);

    [LoggerMessage(EventId = 5067, Level = LogLevel.Warning, Message = "Shard maintenance could not use the owner's book: {Detail}")]
    public static partial void ShardMaintenanceFailed(ILogger logger, string detail);

    [LoggerMessage(EventId = 5068, Level = LogLevel.Warning, Message = "Announcing the {Count} shards held took {Elapsed}, longer than ShardExchange:ReannounceInterval; raise ShardExchange:AnnouncementsPerSecond or their provider records lapse")]
    public static partial void ShardAnnouncementsOverran(ILogger logger, long count, TimeSpan elapsed);

    [LoggerMessage(EventId = 5069, Level = LogLevel.Debug, Message = "Announcing shards from {Shard} on failed: {Detail}")]
    public static partial void ShardAnnouncementFailed(ILogger logger, Overlay.Storage.ShardId shard, string detail);

    [LoggerMessage(EventId = 5070, Level = LogLevel.Error, Message = "A round of shard maintenance failed ({Kind}: {Detail}); the next round goes on")]
    public static partial void ShardMaintenanceRoundFailed(ILogger logger, string kind, string detail);

    [LoggerMessage(EventId = 5095, Level = LogLevel.Information, Message = "Trust: recomputed every {Interval}, {PreTrusted} pre-trusted peers besides this node, holders placed by {Placement}")]
    public static partial void TrustStarted(ILogger logger, TimeSpan interval, int preTrusted, string placement);

    [LoggerMessage(EventId = 5096, Level = LogLevel.Error, Message = "Trust computation failed ({Kind}: {Detail}); the previous trust stays in use")]
    public static partial void TrustRecomputeFailed(ILogger logger, string kind, string detail);
}
