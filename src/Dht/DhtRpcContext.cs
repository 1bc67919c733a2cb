using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;
using Overlay.Transport.Interactions;

namespace Overlay.Dht;

/// <summary>What a node's <see cref="IDhtRpc"/> needs to know of the node: its limits, clock, checks, counters and where it listens.</summary>
/// <param name="Options">Limits applied to answers (k, record sizes).</param>
/// <param name="Time">Clock for round-trip times and record expiry checks.</param>
/// <param name="Validator">Checks records in answers.</param>
/// <param name="Metrics">Where dropped answers are counted.</param>
/// <param name="LocalAddress">The address the node listens on (sent with each request), or null.</param>
/// <param name="OnAnswer">Called after each good answer with (peer, its coordinate, its error, RTT in ms).</param>
/// <param name="Interactions">Told how each exchange ended.</param>
public sealed record DhtRpcContext(
    DhtOptions Options,
    TimeProvider Time,
    RecordValidator Validator,
    DhtMetrics Metrics,
    Func<string?> LocalAddress,
    Action<PeerId, VivaldiCoordinate, double, double> OnAnswer,
    IInteractionObserver Interactions);
