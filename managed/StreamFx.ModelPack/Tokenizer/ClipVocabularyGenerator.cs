using System.Text;
using StreamFx.ModelPack.Diffusion;

namespace StreamFx.ModelPack.Tokenizer;

/// <summary>
/// Generates a synthetic CLIP BPE vocabulary with the real layout: 256 byte characters, the same
/// with "&lt;/w&gt;", 48894 merges in priority order (each producing a new token), then
/// &lt;|startoftext|&gt; = 49406 and &lt;|endoftext|&gt; = 49407. Merges come from a fixed English word list
/// followed by generated pseudo-words; each word's merges are added so that BPE with the final merge
/// list turns that word into one token (later merges never outrank earlier ones).
/// </summary>
public static class ClipVocabularyGenerator
{
    public const string EndOfWord = "</w>";
    public const string StartOfTextToken = "<|startoftext|>";
    public const string EndOfTextToken = "<|endoftext|>";
    public const int MergeCount = ClipVocabularyIds.VocabularySize - 512 - 2;

    // Words a prompt is likely to use; they get the highest-priority merges, as frequent words do in CLIP.
    private static readonly string[] CommonWords =
    [
        "a", "the", "of", "and", "in", "on", "with", "to", "at", "by", "an", "is", "for", "from",
        "photo", "painting", "portrait", "picture", "image", "art", "style", "drawing", "sketch", "render",
        "cat", "dog", "man", "woman", "person", "face", "girl", "boy", "bird", "horse", "tree", "city",
        "street", "house", "forest", "mountain", "river", "sea", "ocean", "sky", "sun", "moon", "star",
        "night", "day", "light", "dark", "red", "blue", "green", "yellow", "orange", "purple", "pink",
        "black", "white", "gray", "gold", "silver", "neon", "bright", "soft", "sharp", "detailed",
        "highly", "beautiful", "cinematic", "lighting", "oil", "watercolor", "anime", "cartoon", "comic",
        "cyberpunk", "steampunk", "fantasy", "realistic", "photorealistic", "digital", "concept",
        "studio", "ghibli", "van", "gogh", "pixel", "low", "poly", "3d", "film", "grain", "vintage",
        "old", "new", "young", "happy", "sad", "smiling", "wearing", "hat", "glasses", "dress", "suit",
        "background", "foreground", "landscape", "sunset", "sunrise", "rain", "snow", "fog", "fire",
        "water", "glass", "metal", "wood", "stone", "robot", "cyborg", "astronaut", "space", "planet",
        "flower", "flowers", "garden", "castle", "dragon", "monster", "knight", "wizard", "magic",
        "masterpiece", "best", "quality", "high", "resolution", "trending", "artstation", "octane",
        "unreal", "engine", "hdr", "bokeh", "depth", "field", "close", "up", "wide", "angle", "shot",
        "view", "top", "side", "front", "camera", "lens", "mm", "sketchy", "ink", "pencil", "charcoal",
        "pastel", "marble", "statue", "mosaic", "stained", "paper", "cut", "origami", "clay", "lego",
        "toy", "miniature", "tiny", "huge", "giant", "small", "big", "very", "not", "no", "ugly",
        "blurry", "bad", "worst", "deformed", "noise", "noisy", "jpeg", "artifacts", "text", "watermark",
    ];

    private static readonly string[] Onsets =
    [
        "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
        "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "str", "th", "tr", "qu", "",
    ];

    private static readonly string[] Nuclei = ["a", "e", "i", "o", "u", "y", "ai", "ea", "ee", "ie", "oo", "ou"];

    private static readonly string[] Codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "rt", "ck"];

    /// <summary>The merges (left, right) in priority order; exactly <see cref="MergeCount"/>.</summary>
    public static IReadOnlyList<(string Left, string Right)> GenerateMerges()
    {
        var merges = new List<(string, string)>(MergeCount);
        var ranks = new Dictionary<(string, string), int>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        foreach ((byte _, char c) in ByteLevelAlphabet.InVocabularyOrder)
        {
            tokens.Add(c.ToString());
            tokens.Add(c + EndOfWord);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var random = new SeededRandom(0x5EED_C11B);
        int index = 0;
        while (merges.Count < MergeCount)
        {
            string word = index < CommonWords.Length ? CommonWords[index] : PseudoWord(random);
            index++;
            if (seen.Add(word))
            {
                AddWord(word, merges, ranks, tokens);
            }
        }

        return merges;
    }

    /// <summary>Merges plus the full token -> id vocabulary (49408 entries, dense ids).</summary>
    public static (IReadOnlyList<(string Left, string Right)> Merges, IReadOnlyList<string> Vocabulary) Generate()
    {
        IReadOnlyList<(string Left, string Right)> merges = GenerateMerges();
        var vocabulary = new List<string>(ClipVocabularyIds.VocabularySize);
        foreach ((byte _, char c) in ByteLevelAlphabet.InVocabularyOrder)
        {
            vocabulary.Add(c.ToString());
        }

        foreach ((byte _, char c) in ByteLevelAlphabet.InVocabularyOrder)
        {
            vocabulary.Add(c + EndOfWord);
        }

        foreach ((string left, string right) in merges)
        {
            vocabulary.Add(left + right);
        }

        vocabulary.Add(StartOfTextToken);
        vocabulary.Add(EndOfTextToken);
        return (merges, vocabulary);
    }

    /// <summary>
    /// Symbols of one word as CLIP's BPE starts them: the byte-level characters, "&lt;/w&gt;" on the last.
    /// </summary>
    public static List<string> InitialSymbols(string word)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(word);
        var symbols = new List<string>(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            string s = ByteLevelAlphabet.ToChar(bytes[i]).ToString();
            symbols.Add(i == bytes.Length - 1 ? s + EndOfWord : s);
        }

        return symbols;
    }

    /// <summary>Standard BPE: repeatedly merge the adjacent pair with the lowest rank.</summary>
    public static List<string> ApplyMerges(List<string> symbols, IReadOnlyDictionary<(string, string), int> ranks)
    {
        while (symbols.Count > 1)
        {
            int best = -1;
            int bestRank = int.MaxValue;
            for (int i = 0; i < symbols.Count - 1; i++)
            {
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            // Merge every occurrence of the pair, left to right, as the reference BPE does.
            (string l, string r) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == l && symbols[i + 1] == r)
                {
                    merged.Add(l + r);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }

            symbols = merged;
        }

        return symbols;
    }

    private static void AddWord(string word, List<(string, string)> merges, Dictionary<(string, string), int> ranks, HashSet<string> tokens)
    {
        List<string> symbols = ApplyMerges(InitialSymbols(word), ranks);
        while (symbols.Count > 1 && merges.Count < MergeCount)
        {
            int pick = -1;
            for (int i = 0; i < symbols.Count - 1; i++)
            {
                // Every merge must create a new token: the vocabulary has one entry per merge.
                if (!tokens.Contains(symbols[i] + symbols[i + 1]))
                {
                    pick = i;
                    break;
                }
            }

            if (pick < 0)
            {
                return;
            }

            (string l, string r) = (symbols[pick], symbols[pick + 1]);
            ranks[(l, r)] = merges.Count;
            merges.Add((l, r));
            tokens.Add(l + r);
            symbols = ApplyMerges(symbols, ranks);
        }
    }

    private static string PseudoWord(SeededRandom random)
    {
        int syllables = 1 + random.NextInt(3);
        var sb = new StringBuilder();
        for (int s = 0; s < syllables; s++)
        {
            sb.Append(Onsets[random.NextInt(Onsets.Length)]);
            sb.Append(Nuclei[random.NextInt(Nuclei.Length)]);
            sb.Append(Codas[random.NextInt(Codas.Length)]);
        }

        return sb.ToString();
    }
}
