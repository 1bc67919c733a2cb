using System.Net;

namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>Metrics</c> section: the Prometheus endpoint that exports the node's meters (docs/OPERATIONS.md).
/// It serves <c>GET /metrics</c> over plain HTTP with no token, so it listens on loopback unless told otherwise.
/// </summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>The default endpoint: loopback, on the port registered for OpenTelemetry's Prometheus exporter.</summary>
    public const string DefaultListen = "127.0.0.1:9464";

    /// <summary>
    /// HOST:PORT the endpoint listens on, HOST an IP address (IPv6 in brackets) and PORT 1 to 65535;
    /// 0.0.0.0 or [::] serve every interface. Empty: no endpoint. Default <see cref="DefaultListen"/>.
    /// </summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (Listen.Length > 0 && !TryParseListen(Listen, out _, out _))
        {
            yield return OptionProblem.Describe(SectionName, nameof(Listen), Listen,
                "it must be empty (no endpoint) or HOST:PORT with HOST an IP address ([...] for IPv6) and PORT 1 to 65535, e.g. 127.0.0.1:9464");
        }
    }

    /// <summary>Splits a valid <see cref="Listen"/> value; false for anything else.</summary>
    public static bool TryParseListen(string? value, out IPAddress address, out int port)
    {
        address = IPAddress.None;
        port = 0;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') != host.EndsWith(']') || (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')))
        {
            return false;
        }

        return int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535
            && IPAddress.TryParse(host.Trim('[', ']'), out address!);
    }
}
