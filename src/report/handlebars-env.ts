/**
 * A Handlebars environment per output format, where `{{x}}` escapes for that format: HTML escaping
 * (Handlebars' own) for the HTML report, Markdown escaping (escape.ts) for the Markdown one. Templates
 * — ours and a user's overrides — then cannot forget to escape: `{{ }}` is always safe, and only a
 * helper returning a SafeString (code blocks, severity badges) emits markup, which it escapes itself.
 */
import Handlebars from 'handlebars';
import { escapeMarkdown } from './escape.js';

export type ReportFormatName = 'md' | 'html';
export type HandlebarsEnv = typeof Handlebars;

/** The part of Handlebars' JavaScriptCompiler the Markdown escaping hooks into (stable through 4.x). */
interface CompilerInternals {
  pushSource(source: unknown): void;
  appendToBuffer(parts: unknown[]): unknown;
  aliasable(name: string): unknown;
  popStack(): unknown;
}

const MD_ESCAPE_HELPER = '__escapeMarkdown';

export function createEnv(format: ReportFormatName): HandlebarsEnv {
  const env = Handlebars.create();
  if (format === 'md') {
    // Handlebars calls `container.escapeExpression` for `{{x}}`, which is global to the library;
    // a compiler subclass makes this environment's templates call our helper instead.
    const internals = env as unknown as { JavaScriptCompiler: new () => CompilerInternals };
    const Base = internals.JavaScriptCompiler;
    class MarkdownCompiler extends Base {
      appendEscaped(): void {
        // Helpers are called with an options object last (Handlebars wraps them to extend it): pass one.
        this.pushSource(
          this.appendToBuffer([this.aliasable(`container.helpers.${MD_ESCAPE_HELPER}`), '(', this.popStack(), ', {})']),
        );
      }
    }
    // Block bodies are compiled by `new this.compiler()`: they must use the subclass too.
    (MarkdownCompiler.prototype as unknown as { compiler: unknown }).compiler = MarkdownCompiler;
    internals.JavaScriptCompiler = MarkdownCompiler;
    env.registerHelper(MD_ESCAPE_HELPER, (value: unknown) =>
      value instanceof env.SafeString ? value.toHTML() : escapeMarkdown(value),
    );
  }
  return env;
}

/** Compile options for report templates: partials keep their own indentation. */
export const COMPILE_OPTIONS: CompileOptions = { preventIndent: true };
