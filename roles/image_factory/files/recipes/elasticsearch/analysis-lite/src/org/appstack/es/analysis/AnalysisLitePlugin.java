/*
 * appstack "analysis-lite" module for the Elasticsearch integ-test distribution.
 *
 * The integ-test zip lacks Elastic's analysis-common module, but the security
 * plugin's own system index (.security-7) declares an "email" analyzer built
 * from four analysis-common components. Without them the native realm cannot
 * create its index: no API-created users, no password changes. This module
 * registers just those four components, backed by the Lucene classes that
 * analysis-common itself uses:
 *   tokenizer     uax_url_email  (UAX29URLEmailTokenizer, max_token_length)
 *   token filter  lowercase      (LowerCaseFilter; no "language" option)
 *   token filter  pattern_capture (PatternCaptureGroupTokenFilter: patterns, preserve_original)
 *   token filter  unique         (drops repeated terms; only_on_same_position)
 * It is not Elastic's analysis-common: every other analysis-common component
 * stays absent.
 */
package org.appstack.es.analysis;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public class AnalysisLitePlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email", (indexSettings, env, name, settings) -> new UaxUrlEmail(indexSettings, settings, name));
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", (indexSettings, env, name, settings) -> new Lowercase(name, settings),
            "pattern_capture", AnalysisPlugin.requiresAnalysisSettings(
                (indexSettings, env, name, settings) -> new PatternCapture(name, settings)),
            "unique", (indexSettings, env, name, settings) -> new Unique(name, settings));
    }

    static final class UaxUrlEmail extends AbstractTokenizerFactory {
        private final int maxTokenLength;

        UaxUrlEmail(IndexSettings indexSettings, Settings settings, String name) {
            super(indexSettings, settings, name);
            maxTokenLength = settings.getAsInt("max_token_length", 255);
        }

        @Override
        public Tokenizer create() {
            UAX29URLEmailTokenizer tokenizer = new UAX29URLEmailTokenizer();
            tokenizer.setMaxTokenLength(maxTokenLength);
            return tokenizer;
        }
    }

    static final class Lowercase extends AbstractTokenFilterFactory {
        Lowercase(String name, Settings settings) {
            super(name, settings);
            if (settings.get("language") != null) {
                throw new IllegalArgumentException("[lowercase] filter: the language option is not supported by appstack analysis-lite");
            }
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new LowerCaseFilter(tokenStream);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return create(tokenStream);
        }
    }

    static final class PatternCapture extends AbstractTokenFilterFactory {
        private final Pattern[] patterns;
        private final boolean preserveOriginal;

        PatternCapture(String name, Settings settings) {
            super(name, settings);
            List<String> regexes = settings.getAsList("patterns", null);
            if (regexes == null || regexes.isEmpty()) {
                throw new IllegalArgumentException("required setting 'patterns' is missing for token filter [" + name + "]");
            }
            patterns = regexes.stream().map(Pattern::compile).toArray(Pattern[]::new);
            preserveOriginal = settings.getAsBoolean("preserve_original", true);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new PatternCaptureGroupTokenFilter(tokenStream, preserveOriginal, patterns);
        }
    }

    static final class Unique extends AbstractTokenFilterFactory {
        private final boolean onlyOnSamePosition;

        Unique(String name, Settings settings) {
            super(name, settings);
            onlyOnSamePosition = settings.getAsBoolean("only_on_same_position", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return onlyOnSamePosition ? new RemoveDuplicatesTokenFilter(tokenStream) : new UniqueFilter(tokenStream);
        }
    }

    /** Drops every term already seen in the stream (like analysis-common's unique filter). */
    static final class UniqueFilter extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute posInc = addAttribute(PositionIncrementAttribute.class);
        private final CharArraySet seen = new CharArraySet(8, false);

        UniqueFilter(TokenStream in) {
            super(in);
        }

        @Override
        public boolean incrementToken() throws IOException {
            int skipped = 0;
            while (input.incrementToken()) {
                char[] buffer = term.buffer();
                int length = term.length();
                if (seen.contains(buffer, 0, length)) {
                    skipped += posInc.getPositionIncrement();
                    continue;
                }
                char[] copy = new char[length];
                System.arraycopy(buffer, 0, copy, 0, length);
                seen.add(copy);
                posInc.setPositionIncrement(posInc.getPositionIncrement() + skipped);
                return true;
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }
}
