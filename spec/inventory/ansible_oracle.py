"""Evaluates many host patterns against one inventory in one process, with ansible-core's own code.

The same calls as `ansible PATTERN -i INV [--limit L] --list-hosts` (CLI.get_host_list), without paying
ansible's start-up time once per pattern. Reads a JSON request on stdin:
  {"sources": [...], "queries": [{"pattern": "...", "limit": "..." | null}, ...]}
and writes one JSON list: per query {"hosts": [...], "warnings": [...], "error": "..." | null}.
"""
import json
import sys

from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.utils.display import Display

warnings = []
Display.warning = lambda self, msg, formatted=False: warnings.append(msg)

request = json.load(sys.stdin)
inventory = InventoryManager(loader=DataLoader(), sources=request["sources"])
results = []
for query in request["queries"]:
    warnings.clear()
    inventory.clear_pattern_cache()
    inventory.clear_caches()
    # as in a fresh `ansible` run: the implicit localhost is made up anew, under the name this pattern uses
    inventory._inventory.localhost = None
    entry = {"hosts": [], "warnings": [], "error": None}
    try:
        inventory.subset(query.get("limit"))
        entry["hosts"] = [h.name if hasattr(h, "name") else h for h in inventory.list_hosts(query["pattern"])]
    except AnsibleError as e:
        entry["error"] = str(e)
    entry["warnings"] = list(warnings)
    results.append(entry)
json.dump(results, sys.stdout)
