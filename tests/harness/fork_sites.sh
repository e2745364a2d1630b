#!/bin/sh
# Every process a run starts is started by the engine (harness/engine.cpp). The other places
# allowed to fork: the one system-call wrapper (mechanisms/sys.cpp), the claims' helper for
# experiments that are raw kernel tricks (claims/child.cpp), and bench/, whose measured
# processes must not carry the engine's loop. Any other fork is a second engine in the making.
# Usage: fork_sites.sh SOURCE_DIR
cd "$1" || exit 2
found=$(grep -rnE '::fork\(|::vfork\(|posix_spawn|::clone3?\(|SYS_clone' \
          --include='*.cpp' --include='*.hpp' \
          adapter campaign claims cli external faults harness mechanisms properties 2>/dev/null |
        grep -vE '^[^:]+:[0-9]+:\s*//' |
        grep -vE 'Child::fork\(' |
        grep -vE '^(harness/engine\.cpp|mechanisms/sys\.(cpp|hpp)|claims/child\.(cpp|hpp)):')
if [ -n "$found" ]; then
  echo "fork outside the engine (start the process with engine::Engine::spawn instead):"
  echo "$found"
  exit 1
fi
echo "one engine: every fork is in harness/engine.cpp (or sys.cpp's wrapper, claims/child.cpp)"
