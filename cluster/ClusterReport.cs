using System.Globalization;
using System.Text.RegularExpressions;

namespace Overlay.Cluster;

/// <summary>What a cluster run measured. Every figure was read from outside the daemons: logs, /proc and the control API.</summary>
public sealed partial class ClusterReport
{
    public required int Nodes { get; init; }

    public required int MinContacts { get; init; }

    /// <summary>Whether every node reached <see cref="MinContacts"/> within the formation timeout.</summary>
    public bool Formed { get; set; }

    /// <summary>From the first daemon's start until every node had joined.</summary>
    public TimeSpan? FormationFromFirstStart { get; set; }

    /// <summary>From the last daemon's "running" line until every node had joined.</summary>
    public TimeSpan? FormationFromLastRunning { get; set; }

    /// <summary>From the first daemon's start to the last one's "running" line.</summary>
    public TimeSpan StartSpan { get; set; }

    /// <summary>Routing-table contacts of every node when formation ended (or timed out).</summary>
    public IReadOnlyList<int> Contacts { get; set; } = [];

    /// <summary>CPU each daemon had used when the network formed (start, JIT, handshakes, join).</summary>
    public IReadOnlyList<TimeSpan> StartCpu { get; set; } = [];

    public IReadOnlyList<long> ResidentBytesFormed { get; set; } = [];

    /// <summary>Resident memory at the end of the idle window.</summary>
    public IReadOnlyList<long> ResidentBytesIdle { get; set; } = [];

    /// <summary>The bootstrap daemon's CPU, memory and threads after running alone for the lone window (null when skipped).</summary>
    public TimeSpan? LoneCpu { get; set; }

    public long LoneResidentBytes { get; set; }

    public long LoneThreads { get; set; }

    /// <summary>How long after formation the idle window began.</summary>
    public TimeSpan Settle { get; set; }

    /// <summary>Whole <c>overlay get</c> processes: wall time of each, start to exit.</summary>
    public OperationFigures CliGets { get; } = new();

    /// <summary>User + system CPU per whole <c>overlay get</c> process.</summary>
    public TimeSpan CliCpuPerGet { get; set; }

    public IReadOnlyList<long> ResidentBytesAfterOperations { get; set; } = [];

    /// <summary>Share of one core each daemon used during the idle window, in percent.</summary>
    public IReadOnlyList<double> IdleCpuPercent { get; set; } = [];

    public TimeSpan IdleWindow { get; set; }

    public OperationFigures Puts { get; } = new();

    /// <summary>How many peers took each successful put.</summary>
    public List<double> StoredOn { get; } = [];

    /// <summary>Connections each daemon's pool held just before the puts (control API <c>status</c>).</summary>
    public IReadOnlyList<int> ConnectionsBeforePuts { get; set; } = [];

    /// <summary>Connections each daemon's pool held just after the puts.</summary>
    public IReadOnlyList<int> ConnectionsAfterPuts { get; set; } = [];

    /// <summary>CPU used by all daemons together during the put phase, divided by the puts.</summary>
    public TimeSpan NetworkCpuPerPut { get; set; }

    public OperationFigures Gets { get; } = new();

    public int Killed { get; set; }

    public OperationFigures GetsAfterKill { get; } = new();

    /// <summary>Surviving daemons that stopped with exit code 0 when asked, out of <see cref="Survivors"/>.</summary>
    public int StoppedCleanly { get; set; }

    public int Survivors { get; set; }

    /// <summary>Warning and error lines of every daemon, by message with times, ids and addresses blanked out.</summary>
    public IReadOnlyDictionary<string, int> Warnings { get; set; } = new Dictionary<string, int>();

    /// <summary>Prints the figures, one topic per line.</summary>
    public void WriteTo(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"cluster: {Nodes} daemons on 127.0.0.1, default configuration, each bootstrapped through the first"));
        var contacts = Contacts.Select(x => (double)x).ToArray();
        var contactText = string.Create(c, $"contacts min/median/max {Min(contacts):0}/{Percentiles.Of(contacts, 50):0}/{Max(contacts):0}");
        if (Formed)
        {
            output.WriteLine(string.Create(c,
                $"formation: every node >= {MinContacts} contacts {FormationFromFirstStart!.Value.TotalSeconds:0.0} s after the first start, {FormationFromLastRunning!.Value.TotalSeconds:0.0} s after the last daemon was running (starts spanned {StartSpan.TotalSeconds:0.0} s); {contactText}"));
        }
        else
        {
            var below = Contacts.Count(x => x < MinContacts);
            output.WriteLine(string.Create(c, $"formation: NOT FORMED: {below} of {Nodes} nodes below {MinContacts} contacts at the timeout; {contactText}"));
        }

        if (LoneCpu is { } lone)
        {
            output.WriteLine(string.Create(c, $"lone daemon (the bootstrap, before any other started): CPU {lone.TotalSeconds:0.00} s, rss {LoneResidentBytes / 1048576.0:0} MB, {LoneThreads} threads"));
        }

        output.WriteLine(string.Create(c, $"start + join CPU per daemon: median {Percentiles.Of(Seconds(StartCpu), 50):0.00} s, max {Max(Seconds(StartCpu)):0.00} s, all daemons {Seconds(StartCpu).Sum():0.0} s"));
        output.WriteLine($"rss formed: {Megabytes(ResidentBytesFormed)}");
        if (IdleCpuPercent.Count > 0)
        {
            output.WriteLine(string.Create(c,
                $"idle cpu over {IdleWindow.TotalSeconds:0} s from {Settle.TotalSeconds:0} s after formation: per daemon median {Percentiles.Of(IdleCpuPercent.ToArray(), 50):0.00} %, max {Max(IdleCpuPercent):0.00} % of a core; all daemons {IdleCpuPercent.Sum():0.0} %"));
            output.WriteLine($"rss idle: {Megabytes(ResidentBytesIdle)}");
        }

        if (Puts.Attempted > 0)
        {
            output.WriteLine($"puts: {Puts.Describe("ok")}");
            output.WriteLine(string.Create(c, $"put stored on: min/median {Min(StoredOn):0}/{Percentiles.Of(StoredOn, 50):0} peers; network CPU per put {NetworkCpuPerPut.TotalMilliseconds:0.0} ms"));
            if (ConnectionsBeforePuts.Count > 0 && ConnectionsAfterPuts.Count > 0)
            {
                var before = ConnectionsBeforePuts.Select(x => (double)x).ToArray();
                var after = ConnectionsAfterPuts.Select(x => (double)x).ToArray();
                output.WriteLine(string.Create(c,
                    $"connections held per daemon (median) before puts {Percentiles.Of(before, 50):0}, after {Percentiles.Of(after, 50):0}; all daemons {before.Sum():0} -> {after.Sum():0} ({(after.Sum() - before.Sum()) / Puts.Attempted:0.0} more per put)"));
            }

            output.WriteLine($"gets: {Gets.Describe("found")}");
            output.WriteLine($"rss after puts and gets: {Megabytes(ResidentBytesAfterOperations)}");
            if (CliGets.Attempted > 0)
            {
                output.WriteLine(string.Create(c, $"overlay get as whole processes: {CliGets.Describe("found")}; CPU per process {CliCpuPerGet.TotalMilliseconds:0} ms"));
            }
            if (Killed > 0)
            {
                output.WriteLine(string.Create(c, $"after killing {Killed} of {Nodes} (SIGKILL): gets {GetsAfterKill.Describe("found")}"));
            }
        }

        output.WriteLine(string.Create(c, $"stopped cleanly (SIGTERM, exit 0): {StoppedCleanly}/{Survivors}"));
        var total = Warnings.Values.Sum();
        output.WriteLine(string.Create(c, $"warnings logged: {total}"));
        foreach (var (message, count) in Warnings.OrderByDescending(w => w.Value).Take(8))
        {
            output.WriteLine(string.Create(c, $"  {count,5}x {message}"));
        }
    }

    /// <summary>Groups log lines by message: the time stamp, PeerIds, ports, addresses and numbers are blanked out.</summary>
    public static IReadOnlyDictionary<string, int> GroupWarnings(IEnumerable<string> lines)
    {
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var text = line;
            var level = text.IndexOf(" warn: ", StringComparison.Ordinal);
            level = level >= 0 ? level : text.IndexOf(" fail: ", StringComparison.Ordinal);
            if (level >= 0)
            {
                text = text[(level + 1)..];
            }

            text = PeerIdText().Replace(text, "PEERID");
            text = Numbers().Replace(text, "N");
            if (text.Length > 200)
            {
                text = text[..200] + "...";
            }

            groups[text] = groups.GetValueOrDefault(text) + 1;
        }

        return groups;
    }

    private static double[] Seconds(IEnumerable<TimeSpan> values) => values.Select(v => v.TotalSeconds).ToArray();

    private static double Min(IReadOnlyCollection<double> values) => values.Count == 0 ? double.NaN : values.Min();

    private static double Max(IReadOnlyCollection<double> values) => values.Count == 0 ? double.NaN : values.Max();

    private static string Megabytes(IReadOnlyList<long> bytes)
    {
        var mb = bytes.Where(b => b > 0).Select(b => b / 1048576.0).ToArray();
        return mb.Length == 0
            ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"per daemon min/median/max {Min(mb):0}/{Percentiles.Of(mb, 50):0}/{Max(mb):0} MB, total {mb.Sum():0} MB");
    }

    [GeneratedRegex("[a-z2-7]{52}")]
    private static partial Regex PeerIdText();

    [GeneratedRegex("(?<![a-z])[0-9]+")]
    private static partial Regex Numbers();
}
