using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamFx.Diffusion.Text;

/// <summary>
/// The CLIP tokenizer: whitespace collapsed and trimmed, lower-cased; split with the CLIP
/// pre-tokenizer pattern; each piece's UTF-8 bytes mapped to printable characters (the GPT-2 byte
/// table) and merged by byte-level BPE with the end-of-word marker "&lt;/w&gt;"; then
/// [BOS] + at most 75 ids + [EOS], padded to 77 with the pad id of the tokenizer config.
/// </summary>
public sealed partial class ClipTokenizer
{
    public const int ContextLength = 77;
    public const string EndOfWord = "</w>";
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    /// <summary>Merges CLIP uses: 49408 ids - 512 byte symbols - 2 specials; the real merges.txt has more lines.</summary>
    public const int MaxMerges = 49408 - 512 - 2;

    private static readonly char[] ByteToChar = BuildByteTable();

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public ClipTokenizer(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges,
        string bosToken = StartOfText, string eosToken = EndOfText, string padToken = EndOfText, string unkToken = EndOfText)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _ranks = new Dictionary<(string, string), int>();
        int rank = 0;
        foreach (var m in merges)
            _ranks.TryAdd((m.Left, m.Right), rank++);
        BosId = Lookup(bosToken, "bos_token");
        EosId = Lookup(eosToken, "eos_token");
        PadId = Lookup(padToken, "pad_token");
        UnkId = Lookup(unkToken, "unk_token");
    }

    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public int UnkId { get; }

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PreTokenizer();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    /// <summary>Loads vocab.json, merges.txt and tokenizer_config.json from a tokenizer folder.</summary>
    public static ClipTokenizer Load(string folder)
    {
        string vocabPath = Path.Combine(folder, "vocab.json");
        string mergesPath = Path.Combine(folder, "merges.txt");
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        foreach (var p in new[] { vocabPath, mergesPath, configPath })
            if (!File.Exists(p)) throw new TokenizerFormatException(p, "file", "present", "missing");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabPath));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new TokenizerFormatException(vocabPath, "root", "an object of token -> id", doc.RootElement.ValueKind.ToString());
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Value.ValueKind != JsonValueKind.Number || !prop.Value.TryGetInt32(out int id) || id < 0)
                    throw new TokenizerFormatException(vocabPath, prop.Name, "a non-negative integer id", prop.Value.GetRawText());
                vocab[prop.Name] = id;
            }
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(vocabPath, "json", "valid JSON", e.Message);
        }

        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(mergesPath))
        {
            lineNo++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            int sp = line.IndexOf(' ');
            if (sp <= 0 || sp == line.Length - 1 || line.IndexOf(' ', sp + 1) >= 0)
                throw new TokenizerFormatException(mergesPath, $"line {lineNo}", "two symbols separated by one space", line);
            merges.Add((line[..sp], line[(sp + 1)..]));
            if (merges.Count == MaxMerges) break;
        }

        string bos = StartOfText, eos = EndOfText, unk = EndOfText;
        string? pad = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
            var root = doc.RootElement;
            bos = TokenField(root, "bos_token", configPath) ?? bos;
            eos = TokenField(root, "eos_token", configPath) ?? eos;
            unk = TokenField(root, "unk_token", configPath) ?? unk;
            pad = TokenField(root, "pad_token", configPath);
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(configPath, "json", "valid JSON", e.Message);
        }
        pad ??= eos;
        foreach (var (field, token) in new[] { ("bos_token", bos), ("eos_token", eos), ("pad_token", pad), ("unk_token", unk) })
            if (!vocab.ContainsKey(token))
                throw new TokenizerFormatException(configPath, field, $"a token present in {vocabPath}", token);
        return new ClipTokenizer(vocab, merges, bos, eos, pad, unk);
    }

    private static string? TokenField(JsonElement root, string name, string path)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        throw new TokenizerFormatException(path, name, "a string or an object with \"content\"", v.GetRawText());
    }

    /// <summary>The cleaned text the pre-tokenizer sees.</summary>
    public static string Clean(string text)
    {
        // No NFC step: the host runs with invariant globalization, where Normalize leaves text unchanged.
        return Whitespace().Replace(text, " ").Trim().ToLowerInvariant();
    }

    /// <summary>Token ids of a text without BOS/EOS and without truncation.</summary>
    public List<int> Tokenize(string text)
    {
        var ids = new List<int>();
        string clean = Clean(text);
        foreach (Match m in PreTokenizer().Matches(clean))
        {
            string piece = m.Value;
            if (piece.Equals(StartOfText, StringComparison.Ordinal) || piece.Equals(EndOfText, StringComparison.Ordinal))
            {
                ids.Add(_vocab[piece]);
                continue;
            }
            ids.AddRange(Bpe(ByteEncode(piece)));
        }
        return ids;
    }

    /// <summary>[BOS] + up to 75 ids + [EOS], then the pad id up to 77 values.</summary>
    public int[] Encode(string text)
    {
        var ids = new int[ContextLength];
        Encode(text, ids);
        return ids;
    }

    public void Encode(string text, Span<int> ids)
    {
        if (ids.Length != ContextLength) throw new ArgumentException($"ids must hold {ContextLength} values, found {ids.Length}");
        var tokens = Tokenize(text);
        int body = Math.Min(tokens.Count, ContextLength - 2);
        ids[0] = BosId;
        for (int i = 0; i < body; i++) ids[1 + i] = tokens[i];
        ids[1 + body] = EosId;
        ids[(2 + body)..].Fill(PadId);
    }

    /// <summary>The printable stand-in of every UTF-8 byte of <paramref name="piece"/>.</summary>
    public static string ByteEncode(string piece)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(piece);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    private int[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out var cached)) return cached;
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + EndOfWord);
        while (word.Count > 1)
        {
            int best = int.MaxValue;
            (string, string) bestPair = default;
            for (int i = 0; i + 1 < word.Count; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < best)
                {
                    best = r;
                    bestPair = (word[i], word[i + 1]);
                }
            }
            if (best == int.MaxValue) break;
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count; i++)
            {
                if (i + 1 < word.Count && word[i] == bestPair.Item1 && word[i + 1] == bestPair.Item2)
                {
                    merged.Add(bestPair.Item1 + bestPair.Item2);
                    i++;
                }
                else merged.Add(word[i]);
            }
            word = merged;
        }
        var ids = new int[word.Count];
        for (int i = 0; i < word.Count; i++)
            ids[i] = _vocab.TryGetValue(word[i], out int id) ? id : UnkId;
        if (_cache.Count > 4096) _cache.Clear();
        _cache[token] = ids;
        return ids;
    }

    private int Lookup(string token, string field) =>
        _vocab.TryGetValue(token, out int id) ? id : throw new ArgumentException($"{field} \"{token}\" is not in the vocabulary");

    // GPT-2/CLIP byte table: printable Latin-1 bytes map to themselves, the rest to 256, 257, ... in order.
    private static char[] BuildByteTable()
    {
        var table = new char[256];
        var assigned = new bool[256];
        for (int b = '!'; b <= '~'; b++) { table[b] = (char)b; assigned[b] = true; }
        for (int b = 0xA1; b <= 0xAC; b++) { table[b] = (char)b; assigned[b] = true; }
        for (int b = 0xAE; b <= 0xFF; b++) { table[b] = (char)b; assigned[b] = true; }
        int next = 0;
        for (int b = 0; b < 256; b++)
            if (!assigned[b]) table[b] = (char)(256 + next++);
        return table;
    }
}

/// <summary>A tokenizer file that does not meet the expected format.</summary>
public sealed class TokenizerFormatException(string file, string field, string expected, string found)
    : Exception($"{file}: {field}: expected {expected}, found {found}")
{
    public string File { get; } = file;
    public string Field { get; } = field;
    public string Expected { get; } = expected;
    public string Found { get; } = found;
}
