// The lab-wide controls (partition, heal, drop rate and pausing for all), or none without a token.

import { act } from './api.js';
import { byId, h } from './dom.js';
import { DROP_RATES, fmtRate } from './format.js';
import { snap, token } from './state.js';
import { toast } from './toast.js';

function parseGroups(text) {
  const groups = text.split('|').map((part) => part.split(/[\s,]+/).filter((s) => s !== '').map(Number));
  if (groups.length < 2 || groups.some((g) => g.length === 0 || g.some((id) => !Number.isInteger(id) || id < 0))) {
    throw new Error('write at least two groups of actor ids separated by |, e.g. 0,1|2');
  }
  return groups;
}

export function setUpControls() {
  document.body.classList.toggle('readonly', token === null);
  byId('readonly-note').hidden = token !== null;
  if (token === null) {
    for (const control of document.querySelectorAll('.control button, .control select, .control input')) control.disabled = true;
    return;
  }
  const dropAll = byId('drop-all');
  dropAll.replaceChildren(h('option', { value: '', text: 'set…' }), ...DROP_RATES.map((r) => h('option', { value: String(r), text: fmtRate(r) })));
  dropAll.addEventListener('change', async () => {
    if (dropAll.value === '') return;
    await act(dropAll, 'drop rate', '/api/drop-rate', { actor: 'all', rate: Number(dropAll.value) });
    dropAll.value = '';
  });
  const split = byId('split');
  split.addEventListener('click', () => {
    if (snap === null) return;
    const ids = snap.actors.map((a) => a.id);
    const half = Math.ceil(ids.length / 2);
    act(split, 'split in two', '/api/partition', { groups: [ids.slice(0, half), ids.slice(half)] });
  });
  const partition = byId('partition');
  const groups = byId('groups');
  const applyGroups = () => {
    try {
      act(partition, 'partition', '/api/partition', { groups: parseGroups(groups.value) });
    } catch (err) {
      toast(`partition: ${err.message}`);
    }
  };
  partition.addEventListener('click', applyGroups);
  groups.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') applyGroups();
  });
  const heal = byId('heal');
  heal.addEventListener('click', () => act(heal, 'heal', '/api/heal'));
  const pauseAll = byId('pause-all');
  pauseAll.addEventListener('click', () => act(pauseAll, 'pause all', '/api/pause', { actor: 'all', paused: true }));
  const resumeAll = byId('resume-all');
  resumeAll.addEventListener('click', () => act(resumeAll, 'resume all', '/api/pause', { actor: 'all', paused: false }));
}
