using Overlay.Cluster;

namespace Overlay.Integration.Tests;

/// <summary>Runs alone: twenty daemons already keep both cores of a small machine busy while they start.</summary>
[CollectionDefinition(nameof(ClusterCollection), DisableParallelization = true)]
public sealed class ClusterCollection;

/// <summary>The bounded form of the cluster command (docs/BENCHMARKS.md has the 40- and 50-daemon runs).</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ClusterTests
{
    [Fact]
    public async Task Cluster_TwentyDaemonsOnLoopbackWithDefaults_FormANetworkAndServeValuesAfterAFifthIsKilled()
    {
        // Generous bounds: a loaded two-core machine starts twenty daemons in about a minute.
        var options = new ClusterOptions
        {
            Nodes = 20,
            MinContacts = 8,
            FormationTimeout = TimeSpan.FromMinutes(5),
            IdleWindow = TimeSpan.Zero,
            Lone = TimeSpan.Zero,
            Puts = 20,
            CliGets = 3,
            KillFraction = 0.2,
            Seed = 1,
        };
        var output = new StringWriter();
        var report = await new ClusterRunner(options, output).RunAsync(TestContext.Current.CancellationToken);
        report.WriteTo(output);

        Assert.True(report.Formed, output.ToString());
        Assert.True(report.Contacts.All(c => c >= options.MinContacts), output.ToString());
        Assert.True(report.Puts.SuccessRate >= 0.95, output.ToString());
        Assert.True(report.Gets.SuccessRate >= 0.95, output.ToString());
        Assert.True(report.CliGets.SuccessRate >= 0.95, output.ToString());
        Assert.Equal(4, report.Killed);
        Assert.True(report.GetsAfterKill.SuccessRate >= 0.95, output.ToString());
        Assert.Equal(report.Survivors, report.StoppedCleanly);
        // No connection between the daemons was turned away by a limit.
        Assert.DoesNotContain(report.Warnings.Keys, w => w.Contains("address_limit", StringComparison.Ordinal) || w.Contains("pending_limit", StringComparison.Ordinal));
    }
}
