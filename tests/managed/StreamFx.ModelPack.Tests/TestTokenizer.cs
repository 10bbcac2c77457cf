using System.Text.Json;
using StreamFx.ModelPack.Tokenizer;

namespace StreamFx.ModelPack.Tests;

/// <summary>
/// Minimal CLIP tokenization for test prompts of lower-case ASCII words: reads the generated
/// vocab.json and merges.txt from disk and runs standard BPE. (The product tokenizer lives in
/// StreamFx.Diffusion; this one only drives the models in these tests.)
/// </summary>
public sealed class TestTokenizer
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<(string, string), int> _ranks = [];
    private readonly int _pad;

    public TestTokenizer(string tokenizerFolder, int padId)
    {
        _vocabulary = JsonSerializerDictionary(File.ReadAllText(Path.Combine(tokenizerFolder, "vocab.json")));
        string[] lines = File.ReadAllLines(Path.Combine(tokenizerFolder, "merges.txt"));
        Assert.Equal("#version: 0.2", lines[0]);
        for (int i = 1; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(' ');
            Assert.Equal(2, parts.Length);
            _ranks[(parts[0], parts[1])] = i - 1;
        }

        _pad = padId;
    }

    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary;

    public IReadOnlyDictionary<(string, string), int> Ranks => _ranks;

    public List<string> WordTokens(string word) => ClipVocabularyGenerator.ApplyMerges(ClipVocabularyGenerator.InitialSymbols(word), _ranks);

    public float[] Encode(string prompt)
    {
        var ids = new List<int> { 49406 };
        foreach (string word in prompt.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            ids.AddRange(WordTokens(word).Select(t => _vocabulary[t]));
        }

        ids.Add(49407);
        var result = new float[77];
        Array.Fill(result, _pad);
        for (int i = 0; i < Math.Min(ids.Count, 77); i++)
        {
            result[i] = ids[i];
        }

        return result;
    }

    private static Dictionary<string, int> JsonSerializerDictionary(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
        {
            map.Add(p.Name, p.Value.GetInt32());
        }

        return map;
    }
}
