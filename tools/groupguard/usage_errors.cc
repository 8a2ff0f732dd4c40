#include "usage_errors.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "number_options.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

std::string Shown(absl::string_view typed) {
  return groupguard::internal::Printable(typed, 1000);
}

// "--output", or "the input argument" for a positional one: how a message names
// the option or argument CLI11 calls `name`.
std::string Named(CLI::App& command, const std::string& name) {
  const CLI::Option* option = command.get_option_no_throw(name);
  if (option != nullptr && option->get_positional() && !absl::StartsWith(name, "-")) {
    return absl::StrCat("the ", name, " argument");
  }
  return name;
}

// "one value", "2 values".
std::string Values(size_t n) { return n == 1 ? "one value" : absl::StrCat(n, " values"); }

// "twice", "3 times".
std::string Times(size_t n) { return n == 2 ? "twice" : absl::StrCat(n, " times"); }

// The typed values of `option`, each made safe for a terminal: "1 2 3".
std::string TypedValues(const CLI::Option& option) {
  std::vector<std::string> shown;
  for (const std::string& value : option.results()) shown.push_back(Shown(value));
  return absl::StrJoin(shown, " ");
}

// CLI11's message, begun in lower case as the others are ("The ...", "A ...", not
// "INT ..."), made safe for a terminal.
std::string Cli11Message(absl::string_view what) {
  std::string message = Shown(what);
  if (message.size() >= 2 && absl::ascii_isupper(message[0]) &&
      !absl::ascii_isupper(message[1])) {
    message[0] = absl::ascii_tolower(message[0]);
  }
  return message;
}

// The option CLI11's message begins with ("--clues: At Most 1 ...", "--output is
// required", "--model-type excludes --select"), if `command` has one of that name.
CLI::Option* LeadingOption(CLI::App& command, absl::string_view what,
                           absl::string_view end) {
  const size_t at = what.find(end);
  if (at == absl::string_view::npos || at == 0) return nullptr;
  return command.get_option_no_throw(std::string(what.substr(0, at)));
}

// An option given too few or too many values (CLI::ArgumentMismatch): the values
// it takes, and how many it got.
std::string WrongNumberOfValues(CLI::Option& option) {
  const std::string name = option.get_name();
  const size_t given = option.results().size();
  const size_t least = std::max(1, option.get_items_expected_min());
  const size_t most = std::max(1, option.get_items_expected_max());
  const std::string type = option.get_type_name();
  // "each INT in [0 - 8]"; nothing for CLI11's bare "TEXT", which says nothing.
  const std::string each = type.empty() || type == "TEXT" ? ""
                           : least == 1                   ? absl::StrCat(": ", type)
                                                          : absl::StrCat(", each ", type);
  if (given == 0) {
    return absl::StrCat(name, " needs ", least == 1 ? "a value" : Values(least), each);
  }
  if (given > most && most == 1) {
    return absl::StrCat(name, " is given ", Times(given), "; it takes one value");
  }
  return absl::StrCat(name, " takes ", Values(given < least ? least : most), each,
                      "; given ", given, ": ", TypedValues(option));
}

// Words left over once the command took its arguments (CLI::ExtrasError): an
// option it does not have, else the words too many for its arguments ("" if none
// is found).
std::string LeftOver(CLI::App& command, absl::string_view name,
                     const std::vector<std::string>& operands) {
  // The program's words left over, not the command's alone: after a "--", those the
  // command has no argument for are left to the program ("inspect a -- b").
  CLI::App* program = &command;
  while (program->get_parent() != nullptr) program = program->get_parent();
  // CLI11 drops the "--" when the command has no argument left for what follows it,
  // so a word after one is told by `operands`.
  std::vector<std::string> words;
  for (const std::string& arg : program->remaining(true)) {
    if (arg == "--") continue;
    if (LooksLikeOption(arg) &&
        std::find(operands.begin(), operands.end(), arg) == operands.end()) {
      return UnknownOptionMessage(arg);
    }
    words.push_back(absl::StrCat("\"", Shown(arg), "\""));
  }
  if (words.empty()) return "";
  std::vector<std::string> takes;
  // A command that takes one text ("explain buy now") was most likely given one
  // unquoted: the shell split it into words.
  bool one_text = false;
  for (const CLI::Option* option :
       command.get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    const bool one = option->get_items_expected_max() == 1;
    takes.push_back(one ? absl::StrCat("one ", option->get_name())
                        : absl::StrCat(option->get_name(), "..."));
    one_text = one && option->get_name() == "text";
  }
  return absl::StrCat(
      "unexpected argument", words.size() == 1 ? " " : "s ", absl::StrJoin(words, " "),
      ": ", name, " takes ", takes.empty() ? "none" : absl::StrJoin(takes, " and "),
      takes.size() == 1 && one_text ? "; quote a text of several words" : "");
}

}  // namespace

bool LooksLikeOption(absl::string_view arg) {
  return arg.size() >= 2 && arg[0] == '-' && arg != "--" &&
         !absl::ascii_isdigit(arg[1]) && arg[1] != '.';
}

std::string UnknownOptionMessage(absl::string_view arg) {
  return absl::StrCat("unknown option \"", Shown(arg), "\"");
}

std::string UsageErrorMessage(const CLI::ParseError& error, CLI::App& command,
                              absl::string_view name,
                              const std::vector<std::string>& operands) {
  const absl::string_view what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    std::string message = LeftOver(command, name, operands);
    if (!message.empty()) return message;
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    if (CLI::Option* option = LeadingOption(command, what, ":")) {
      return WrongNumberOfValues(*option);
    }
  } else if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    if (CLI::Option* option = LeadingOption(command, what, " is required")) {
      return absl::StrCat(Named(command, option->get_name()), " is required");
    }
  } else if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    const size_t at = what.find(" excludes ");
    if (CLI::Option* option = LeadingOption(command, what, " excludes ")) {
      const std::string other(what.substr(at + 10));
      if (command.get_option_no_throw(other) != nullptr) {
        return absl::StrCat(Named(command, option->get_name()), " cannot be used with ",
                            Named(command, other));
      }
    }
  } else if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // "Could not convert: --json = x": a flag given a value it cannot read as one
    // (CLI11 reads --json=true, =false, =1, =0 and the like).
    constexpr absl::string_view kStart = "Could not convert: ";
    if (absl::StartsWith(what, kStart)) {
      const absl::string_view rest = what.substr(kStart.size());
      const CLI::Option* option = LeadingOption(command, rest, " = ");
      if (option != nullptr && option->get_expected_max() == 0) {
        return absl::StrCat(option->get_name(), " takes no value, not ",
                            TypedValues(*option));
      }
    }
  }
  return Cli11Message(what);
}

CLI::Validator OneOf(std::vector<std::string> values) {
  return CLI::Validator(
      [values = std::move(values)](std::string& value) -> std::string {
        for (const std::string& v : values) {
          if (value == v) return "";
        }
        std::string allowed;
        for (size_t i = 0; i < values.size(); ++i) {
          absl::StrAppend(&allowed,
                          i == 0                   ? ""
                          : i + 1 == values.size() ? " or "
                                                   : ", ",
                          values[i]);
        }
        return absl::StrCat(ShownValue(value), " is not ", allowed);
      },
      "");
}

CLI::Option* AddChoiceOption(CLI::App* command, const std::string& names,
                             std::string* value, std::vector<std::string> values,
                             const std::string& description) {
  const std::string type = absl::StrCat("TEXT in {", absl::StrJoin(values, ","), "}");
  return command->add_option(names, *value, description)
      ->type_name(type)
      ->check(OneOf(std::move(values)));
}

}  // namespace groupguard::cli
