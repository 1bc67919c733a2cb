namespace Overlay.Dht;

/// <summary>Names of the <c>dht/1</c> operations as the interaction seam reports them.</summary>
public static class DhtOperations
{
    /// <summary>PING.</summary>
    public const string Ping = "ping";

    /// <summary>FIND_NODE.</summary>
    public const string FindNode = "find_node";

    /// <summary>FIND_VALUE asking for a value record.</summary>
    public const string FindValue = "find_value";

    /// <summary>FIND_VALUE asking for provider records.</summary>
    public const string FindProviders = "find_providers";

    /// <summary>STORE of a value record.</summary>
    public const string Store = "store";

    /// <summary>STORE of a provider record.</summary>
    public const string StoreProvider = "store_provider";

    /// <summary>STORE of a provider batch.</summary>
    public const string StoreProviderBatch = "store_provider_batch";
}
