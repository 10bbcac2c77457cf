using System.Text;
using System.Text.Json;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>Issue 13 item 5, host side: long STATUS fields are cut with a visible marker, and a whole STATUS fits the payload limit.</summary>
public sealed class StatusTruncationTests
{
    [Fact]
    public void ALongFieldEndsInAMarkerSayingHowMuchWasCut()
    {
        string error = "provider error: " + new string('x', 5000);
        string cut = StatusReport.Truncate(error, StatusReport.MaxErrorLength);
        Assert.Equal(StatusReport.MaxErrorLength, cut.Length);
        int removed = error.Length - cut.IndexOf('…');
        Assert.EndsWith($"…[truncated {removed} chars]", cut);
        Assert.StartsWith("provider error: xxx", cut);
        Assert.Equal(error[..cut.IndexOf('…')], cut[..cut.IndexOf('…')]);
        string fits = error[..100];
        Assert.Same(fits, StatusReport.Truncate(fits, 100));
    }

    [Fact]
    public void ACutNeverSplitsASurrogatePair()
    {
        string text = string.Concat(Enumerable.Repeat("\U0001F600", 400));
        string cut = StatusReport.Truncate(text, 240);
        string kept = cut[..cut.IndexOf('…')];
        Assert.False(char.IsHighSurrogate(kept[^1]), "the kept part must not end in half a pair");
        Assert.EndsWith($"…[truncated {text.Length - kept.Length} chars]", cut);
        Assert.True(cut.Length <= 240);
    }

    [Fact]
    public void TheWorstCaseStatusStaysUnderThePayloadLimit()
    {
        // Every text field at its limit, every character escaped by the JSON writer (6 bytes each).
        string escaped = new('\u0001', 100_000);
        var report = new StatusReport("error", "cpu", escaped, 1, 2, escaped)
        {
            ProvidersTried = escaped,
            Progress = escaped,
            Note = escaped,
        };

        string json = report.ToJson();
        int bytes = Encoding.UTF8.GetByteCount(json);
        Assert.True(bytes < ProtocolLayout.MaxMessagePayload, $"{bytes} bytes, limit {ProtocolLayout.MaxMessagePayload}");
        using var document = JsonDocument.Parse(json);
        Assert.Contains("[truncated ", document.RootElement.GetProperty("note").GetString());
        Assert.Contains("[truncated ", document.RootElement.GetProperty("error").GetString());
    }
}
