using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// How a holder answered one probe round: <see cref="Reached"/> is Passed when it answered every request well formed,
/// Wrong when it answered something malformed, NoAnswer or Refused otherwise; <see cref="Lost"/> names each shard it
/// said it does not keep (Missing) or keeps at another size, or answered malformed about (Wrong). Only those shards
/// are suspect: a holder missing one shard still keeps the others. <see cref="Connection"/> is the connection the probe
/// went over, when it could be had (the owner watches it for its close).
/// </summary>
public sealed record ProbeResult(HolderVerdict Reached, IReadOnlyList<(ShardId Shard, HolderVerdict Verdict)> Lost, ITransportConnection? Connection = null);
