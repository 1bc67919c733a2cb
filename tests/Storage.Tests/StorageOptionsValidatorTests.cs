using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class StorageOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_HasNoFailures()
    {
        Assert.Empty(StorageOptionsValidator.Validate(new StorageOptions()));
    }

    [Theory]
    [InlineData("CapacityBytes", "0")]
    [InlineData("MaxShardBytes", "5000000")]
    [InlineData("MaxShardBytes", "10")]
    [InlineData("WriteBatchSize", "0")]
    [InlineData("MergeThreshold", "0")]
    [InlineData("MergeThreshold", "16777217")]
    [InlineData("WriteQueueCapacity", "0")]
    [InlineData("ReaderCount", "0")]
    [InlineData("MmapBytes", "-1")]
    [InlineData("CollectBatchSize", "0")]
    [InlineData("Durability", "7")]
    public void Validate_OutOfRange_NamesKeyValueAndAllowedRange(string key, string value)
    {
        var options = new StorageOptions();
        var property = typeof(StorageOptions).GetProperty(key)!;
        object converted = property.PropertyType.IsEnum
            ? Enum.ToObject(property.PropertyType, int.Parse(value))
            : Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture);
        property.SetValue(options, converted);

        var failure = Assert.Single(StorageOptionsValidator.Validate(options));
        Assert.Contains("Storage:" + key, failure);
        Assert.Contains(value, failure);
        Assert.Contains("allowed", failure);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1 << 24)]
    public void Validate_MergeThresholdAtItsLimits_HasNoFailures(int threshold)
    {
        Assert.Empty(StorageOptionsValidator.Validate(new StorageOptions { MergeThreshold = threshold }));
    }

    [Fact]
    public void Validate_EmptyDirectoryAndTinyInterval_ReportsBoth()
    {
        var failures = StorageOptionsValidator.Validate(new StorageOptions { Directory = " ", CollectInterval = TimeSpan.Zero });
        Assert.Equal(2, failures.Count);
        Assert.Throws<ArgumentException>(() => SqliteShardStore.Open(new StorageOptions { Directory = "" }));
    }
}
