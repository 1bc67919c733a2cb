using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Overlay.Dht.Wire;

/// <summary>
/// The DHT service's counters. Drops are tagged with their reason; peers control that volume, so it is
/// counted rather than logged. Totals are also kept in-process for the simulator and tests.
/// </summary>
public sealed class DhtMetrics
{
    /// <summary>Name of the meter the node creates when none is given.</summary>
    public const string MeterName = "Overlay.Dht";

    private static readonly KeyValuePair<string, object?>[] ResponseReasons = BuildTags(Enum.GetNames<DhtResponseFault>());
    private static readonly KeyValuePair<string, object?>[] WireReasons = BuildTags(Enum.GetNames<DhtWireError>());
    private static readonly KeyValuePair<string, object?>[] TypeTags = BuildTypeTags();
    private static readonly KeyValuePair<string, object?>[] StoreReasons = BuildTags(Enum.GetNames<Records.RecordRejection>());
    private static readonly KeyValuePair<string, object?> RateLimitedTag = new("reason", "rate_limited");
    private static readonly KeyValuePair<string, object?> InternalTag = new("reason", "internal");

    private readonly Counter<long> _requestsDropped;
    private readonly Counter<long> _responsesDropped;
    private readonly Counter<long> _requestsServed;
    private readonly Counter<long> _storesRefused;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _providersRefused;
    private readonly Counter<long> _providerStores;
    private readonly Counter<long> _providerStoreBytes;
    private readonly Histogram<double> _operationDuration;
    private readonly Histogram<int> _lookupHops;
    // By reason, created at the first refusal: most nodes never refuse one, and the pair would cost each 384 bytes.
    private long[]? _storesRefusedTotals;
    private long[]? _providersRefusedTotals;
    private long _requestsDroppedTotal;
    private long _responsesDroppedTotal;
    private long _requestsServedTotal;
    private long _providerStoresTotal;
    private long _providerStoreBytesTotal;

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public DhtMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Meter = meter;
        _requestsDropped = meter.CreateCounter<long>("overlay.dht.requests_dropped", description: "Inbound DHT requests refused, by reason.");
        _responsesDropped = meter.CreateCounter<long>("overlay.dht.responses_dropped", description: "DHT responses dropped and held against their sender, by reason.");
        _storesRefused = meter.CreateCounter<long>("overlay.dht.stores_refused", description: "Inbound STOREs answered with a refusal, by reason.");
        _providersRefused = meter.CreateCounter<long>("overlay.dht.provider_answers_refused", description: "Provider records in FIND_VALUE answers refused (the answer is dropped), by reason.");
        _providerStores = meter.CreateCounter<long>("overlay.dht.provider_stores_sent", "{request}", "STOREs of provider records (single or batch) this node sent.");
        _providerStoreBytes = meter.CreateCounter<long>("overlay.dht.provider_store_sent", "By", "Bytes of the provider-record STORE requests this node sent.");
        _requestsServed = meter.CreateCounter<long>("overlay.dht.requests_served", description: "Inbound DHT requests answered, by type.");
        _operations = meter.CreateCounter<long>("overlay.dht.operations", "{operation}", "This node's lookups, gets and puts, by kind (find_node, get, put) and result (ok, not_found, failed, refused_locally).");
        // Buckets from 1 ms to 60 s: a lookup on a LAN takes milliseconds, a put that retries up to PutRetryTimeout tens of seconds.
        _operationDuration = meter.CreateHistogram<double>("overlay.dht.operation_duration", "ms", "Time this node's lookups, gets and puts took, by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000] });
        _lookupHops = meter.CreateHistogram<int>("overlay.dht.lookup_hops", "{hop}", "Depth at which a node lookup found the closest answering peer (seed = 1).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20] });
    }

    /// <summary>The meter the counters live on.</summary>
    public Meter Meter { get; }

    /// <summary>Inbound requests refused so far.</summary>
    public long RequestsDropped => Interlocked.Read(ref _requestsDroppedTotal);

    /// <summary>Responses dropped so far.</summary>
    public long ResponsesDropped => Interlocked.Read(ref _responsesDroppedTotal);

    /// <summary>Inbound requests answered so far.</summary>
    public long RequestsServed => Interlocked.Read(ref _requestsServedTotal);

    /// <summary>STOREs of provider records (single or batch) sent so far.</summary>
    public long ProviderStoresSent => Interlocked.Read(ref _providerStoresTotal);

    /// <summary>Bytes of the provider-record STORE requests sent so far.</summary>
    public long ProviderStoreBytesSent => Interlocked.Read(ref _providerStoreBytesTotal);

    internal void SentProviderStore(int bytes)
    {
        Interlocked.Increment(ref _providerStoresTotal);
        Interlocked.Add(ref _providerStoreBytesTotal, bytes);
        _providerStores.Add(1);
        _providerStoreBytes.Add(bytes);
    }

    internal void DropResponse(DhtResponseFault fault)
    {
        Interlocked.Increment(ref _responsesDroppedTotal);
        _responsesDropped.Add(1, ResponseReasons[(int)fault]);
    }

    internal void DropRequest(DhtWireError error)
    {
        Interlocked.Increment(ref _requestsDroppedTotal);
        _requestsDropped.Add(1, WireReasons[(int)error]);
    }

    internal void DropRequestRateLimited()
    {
        Interlocked.Increment(ref _requestsDroppedTotal);
        _requestsDropped.Add(1, RateLimitedTag);
    }

    internal void DropRequestInternal()
    {
        Interlocked.Increment(ref _requestsDroppedTotal);
        _requestsDropped.Add(1, InternalTag);
    }

    /// <summary>Inbound STOREs refused so far for <paramref name="reason"/> (0 for <see cref="Records.RecordRejection.None"/>).</summary>
    public long StoresRefused(Records.RecordRejection reason) => Read(_storesRefusedTotals, reason);

    internal void RefuseStore(Records.RecordRejection reason) => Count(ref _storesRefusedTotals, _storesRefused, reason);

    /// <summary>Provider records in answers refused so far for <paramref name="reason"/> (0 for <see cref="Records.RecordRejection.None"/>).</summary>
    public long ProviderAnswersRefused(Records.RecordRejection reason) => Read(_providersRefusedTotals, reason);

    internal void RefuseProviderAnswer(Records.RecordRejection reason) => Count(ref _providersRefusedTotals, _providersRefused, reason);

    /// <summary>Counts one of this node's operations and its duration; <paramref name="kind"/> and <paramref name="result"/> are fixed tag values.</summary>
    internal void Operation(string kind, string result, double milliseconds)
    {
        var tags = new TagList { { "kind", kind }, { "result", result } };
        _operations.Add(1, tags);
        _operationDuration.Record(milliseconds, new KeyValuePair<string, object?>("kind", kind));
    }

    internal void LookupHops(int hops) => _lookupHops.Record(hops);

    internal void Served(DhtMessageType type)
    {
        Interlocked.Increment(ref _requestsServedTotal);
        _requestsServed.Add(1, TypeTags[(int)type & 0x7]);
    }

    private static long Read(long[]? totals, Records.RecordRejection reason)
    {
        totals = Volatile.Read(ref totals);
        return totals is not null && (uint)reason < (uint)totals.Length ? Interlocked.Read(ref totals[(int)reason]) : 0;
    }

    // One refusal by reason: the in-process total and the tagged counter (None is no refusal).
    private static void Count(ref long[]? totals, Counter<long> counter, Records.RecordRejection reason)
    {
        if (reason == Records.RecordRejection.None || (uint)reason >= (uint)StoreReasons.Length)
        {
            return;
        }

        // Two threads refusing the first at once: one array wins, and both count into it.
        var t = Volatile.Read(ref totals) ?? Interlocked.CompareExchange(ref totals, new long[StoreReasons.Length], null) ?? totals!;
        Interlocked.Increment(ref t[(int)reason]);
        counter.Add(1, StoreReasons[(int)reason]);
    }

    private static KeyValuePair<string, object?>[] BuildTags(string[] names)
    {
        var tags = new KeyValuePair<string, object?>[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            tags[i] = new("reason", ToSnakeCase(names[i]));
        }

        return tags;
    }

    private static KeyValuePair<string, object?>[] BuildTypeTags()
    {
        var tags = new KeyValuePair<string, object?>[8];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new("type", i switch { 1 => "ping", 2 => "find_node", 3 => "find_value", 4 => "store", _ => "other" });
        }

        return tags;
    }

    private static string ToSnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }
}
